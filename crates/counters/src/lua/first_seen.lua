-- First sighting of one key: a hash with `first` and `last` (latest sighting).
-- KEYS[1]  the key
-- ARGV     now (Unix s), ttl (s: a key unseen this long starts afresh)
-- Returns  { the time the key was first seen }, never later than now.
local key = KEYS[1]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])

local seen = redis.call('HMGET', key, 'first', 'last')
local first, last = tonumber(seen[1]), tonumber(seen[2])
if first == nil or last == nil then
  first, last = now, now
end
if now - last > ttl then
  first = now
end
if now > last then
  last = now
end
redis.call('HSET', key, 'first', first, 'last', last)
redis.call('EXPIRE', key, ttl)
if first < now then
  return { first }
end
return { now }
