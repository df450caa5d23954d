-- Gives back n units of a daily quota: only to a counter that still exists,
-- never below 0, keeping its TTL (an expired day stays gone).
-- KEYS[1]  the counter of one key and day
-- ARGV     n
-- Returns  units used afterwards (0 when there was no counter)
local used = tonumber(redis.call('GET', KEYS[1]) or '-1')
if used < 0 then
  return 0
end
local n = tonumber(ARGV[1])
if n > used then
  n = used
end
if n > 0 then
  used = redis.call('DECRBY', KEYS[1], n)
end
return used
