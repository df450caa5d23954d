-- GCRA rate limit of one bucket. The key holds the bucket's theoretical
-- arrival time (TAT) in microseconds of Redis' own clock, so every node
-- agrees on time; it expires once the bucket is full again.
-- KEYS[1]  the bucket
-- ARGV     emission interval (µs per request), burst, cost
-- Returns  { allowed (1/0), remaining, µs until the bucket is full, µs to wait }
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local tat = tonumber(redis.call('GET', key))
if tat == nil or tat < now then
  tat = now
end
local tolerance = interval * burst
local new_tat = tat + interval * cost
local allow_at = new_tat - tolerance
if allow_at > now then
  return { 0, 0, tat - now, allow_at - now }
end
redis.call('SET', key, string.format('%d', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
return { 1, math.floor((now - allow_at) / interval), new_tat - now, 0 }
