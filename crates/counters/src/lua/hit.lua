-- Hit counter: events of one key counted in fixed buckets, one hash per key
-- (field `last`: newest event time; field `i:b`: count of bucket b of window i).
-- KEYS[1]  the key
-- ARGV     now (Unix s), record (1/0), ttl (s), then bucket length and bucket
--          count of each of the three windows: g1 n1 g2 n2 g3 n3
-- Returns  the counts over the three windows.
local key = KEYS[1]
local now = tonumber(ARGV[1])
local record = ARGV[2] == '1'
local ttl = tonumber(ARGV[3])
local g = { tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[8]) }
local n = { tonumber(ARGV[5]), tonumber(ARGV[7]), tonumber(ARGV[9]) }

-- An event older than the newest one the key has seen counts as that newest.
local last = tonumber(redis.call('HGET', key, 'last'))
if last == nil then
  if not record then
    return { 0, 0, 0 }
  end
elseif last > now then
  now = last
end

local bucket = {}
for i = 1, 3 do
  bucket[i] = math.floor(now / g[i])
end

if record then
  redis.call('HSET', key, 'last', now)
  for i = 1, 3 do
    redis.call('HINCRBY', key, i .. ':' .. bucket[i], 1)
  end
  -- At most n1 + n2 + n3 buckets are in their windows: drop the others.
  if redis.call('HLEN', key) > n[1] + n[2] + n[3] + 4 then
    for _, field in ipairs(redis.call('HKEYS', key)) do
      local i, b = string.match(field, '^(%d):(%d+)$')
      if i and tonumber(b) + n[tonumber(i)] <= bucket[tonumber(i)] then
        redis.call('HDEL', key, field)
      end
    end
  end
  redis.call('EXPIRE', key, ttl)
end

-- Window i: the n_i buckets ending with the one holding `now`.
local counts = {}
for i = 1, 3 do
  local fields = {}
  for j = 0, n[i] - 1 do
    fields[#fields + 1] = i .. ':' .. (bucket[i] - j)
  end
  local sum = 0
  for _, v in ipairs(redis.call('HMGET', key, unpack(fields))) do
    if v then
      sum = sum + tonumber(v)
    end
  end
  counts[i] = sum
end
return counts
