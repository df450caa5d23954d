-- Records a supplier against a terminal (a failover mapping of the patent).
-- KEYS[1]: the terminal's sorted set (members: supplier ids, scores: expiry ms).
-- ARGV[1]: supplier; ARGV[2]: expiry (ms); ARGV[3]: now (ms).
-- A later expiry wins; expired members go; the key lives as long as its
-- longest mapping.
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(top[2]) - tonumber(ARGV[3]), 1))
return 1
