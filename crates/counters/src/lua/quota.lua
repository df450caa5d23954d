-- Daily quota of one key: takes n units when they fit under the limit.
-- KEYS[1]  the counter of one key and day
-- ARGV     limit, n, ttl (s)
-- Returns  { taken (1/0), units used afterwards }
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
if used + n > limit then
  return { 0, used }
end
used = redis.call('INCRBY', KEYS[1], n)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return { 1, used }
