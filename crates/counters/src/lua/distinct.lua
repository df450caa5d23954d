-- Distinct members of one key by their latest sighting: a sorted set, member ->
-- time seen.
-- KEYS[1]  the key
-- ARGV     now (Unix s), horizon (s: members seen longer ago are forgotten,
--          and the key's TTL), most members kept, the three window lengths,
--          then the member to record (absent: read only)
-- Returns  the members seen within each window.
local key = KEYS[1]
local now = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local windows = { tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]) }
local member = ARGV[7]

-- An event older than the newest one the key has seen counts as that newest.
local newest = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > now then
  now = tonumber(newest[2])
end

if member then
  -- Full: the member seen longest ago makes room for a new one.
  if not redis.call('ZSCORE', key, member) then
    local size = redis.call('ZCARD', key)
    if size >= max then
      redis.call('ZREMRANGEBYRANK', key, 0, size - max)
    end
  end
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, horizon)
end

redis.call('ZREMRANGEBYSCORE', key, '-inf', now - horizon)
local counts = {}
for i = 1, 3 do
  counts[i] = redis.call('ZCOUNT', key, '(' .. (now - windows[i]), '+inf')
end
return counts
