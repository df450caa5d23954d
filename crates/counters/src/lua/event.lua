-- Every counter op of one risk event, applied in order in one call: one GET
-- per op and, when the op writes, one SET. Each key is a packed string
-- (Lua's `struct`, little-endian; times are doubles, exact for Unix seconds):
--
--   hit        last event time (d), then the bucket counts (I4) of the three
--              windows' rings: W1/G1, W2/G2 and W3/G3 buckets, bucket b of
--              window i at index b % (Wi/Gi) of its ring
--   distinct   newest sighting (d), then one 16-byte record per member:
--              member (8 bytes, a keyed hash), latest sighting (d), the
--              records in order of sighting (oldest first)
--   first seen first sighting (d), latest sighting (d)
--
-- KEYS[i]    the key of op i
-- ARGV[1]    now (Unix s)
-- ARGV[2]    TTL of hit and distinct keys (s), and how long a member is kept
-- ARGV[3]    most members kept per distinct key
-- ARGV[4]    TTL of first-seen keys (s)
-- ARGV[4+i]  op i: 'h' hit recorded, 'r' hit read only, 'd' distinct read
--            only, 'm' followed by the 8-byte member: distinct recorded,
--            'f' first seen
-- Returns    flat: the three window counts of each hit or distinct op, the
--            first-seen time of each first-seen op, in the order of the ops.
local G = { @BUCKETS@ }
local W = { @WINDOWS@ }
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local first_ttl = tonumber(ARGV[4])
local out = {}

-- Hit rings: ring i's counts are v[BASE[i] + 1 .. BASE[i] + N[i]] (v[1] is
-- the last event time).
local N, BASE = {}, {}
local size = 1
for i = 1, 3 do
  N[i] = W[i] / G[i]
  BASE[i] = size
  size = size + N[i]
end
local HIT = '<d' .. string.rep('I4', size - 1)

-- Events older than a key's newest one count as that newest (t below).
local function hit(key, record)
  local packed = redis.call('GET', key)
  local v
  local t = now
  if packed then
    v = { struct.unpack(HIT, packed) }
    if v[1] > t then
      t = v[1]
    end
  elseif record then
    v = { t }
    for j = 2, size do
      v[j] = 0
    end
  else
    out[#out + 1], out[#out + 2], out[#out + 3] = 0, 0, 0
    return
  end
  if record then
    for i = 1, 3 do
      local n, base = N[i], BASE[i] + 1
      local last, b = math.floor(v[1] / G[i]), math.floor(t / G[i])
      if b - last >= n then
        for j = 0, n - 1 do
          v[base + j] = 0
        end
      else
        for x = last + 1, b do
          v[base + x % n] = 0
        end
      end
      if v[base + b % n] < 4294967295 then
        v[base + b % n] = v[base + b % n] + 1
      end
    end
    v[1] = t
    redis.call('SET', key, struct.pack(HIT, unpack(v, 1, size)), 'EX', ttl)
  end
  -- Window i: the N[i] buckets ending with the one holding t; the ring holds
  -- those up to the one of the last event.
  for i = 1, 3 do
    local n, base = N[i], BASE[i] + 1
    local last, b = math.floor(v[1] / G[i]), math.floor(t / G[i])
    local sum = 0
    for j = 0, n - 1 - (b - last) do
      sum = sum + v[base + (last - j) % n]
    end
    out[#out + 1] = sum
  end
end

-- Records of a distinct key: the first of `count` whose sighting is after
-- `bound` (they are in order of sighting).
local function first_after(packed, count, bound)
  local lo, hi = 0, count
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if struct.unpack('<d', packed, 17 + 16 * mid) > bound then
      hi = mid
    else
      lo = mid + 1
    end
  end
  return lo
end

local function distinct(key, member)
  local packed = redis.call('GET', key)
  if not packed then
    if not member then
      out[#out + 1], out[#out + 2], out[#out + 3] = 0, 0, 0
      return
    end
    packed = struct.pack('<d', now)
  end
  local t = now
  local newest = struct.unpack('<d', packed)
  if newest > t then
    t = newest
  end
  local changed = false
  if member then
    -- The member's record, if any: a match at a record's start.
    local at
    local from = 9
    while true do
      local p = string.find(packed, member, from, true)
      if not p then
        break
      elseif (p - 9) % 16 == 0 then
        at = p
        break
      end
      from = p + 1
    end
    local records = packed:sub(9)
    if at then
      records = packed:sub(9, at - 1) .. packed:sub(at + 16)
    elseif #records / 16 >= max then
      -- Full: the members seen longest ago make room.
      records = records:sub(16 * (#records / 16 - max + 1) + 1)
    end
    packed = struct.pack('<d', t) .. records .. member .. struct.pack('<d', t)
    changed = true
  end
  -- Members last seen `ttl` or longer ago are forgotten.
  local count = (#packed - 8) / 16
  local gone = first_after(packed, count, t - ttl)
  if gone > 0 then
    packed = packed:sub(1, 8) .. packed:sub(9 + 16 * gone)
    count = count - gone
    if not member then
      redis.call('SET', key, packed, 'KEEPTTL')
    end
  end
  if changed then
    redis.call('SET', key, packed, 'EX', ttl)
  end
  for i = 1, 3 do
    out[#out + 1] = count - first_after(packed, count, t - W[i])
  end
end

local function first_seen(key)
  local packed = redis.call('GET', key)
  local first, last = now, now
  if packed then
    first, last = struct.unpack('<dd', packed)
  end
  if now - last > first_ttl then
    first = now
  end
  if now > last then
    last = now
  end
  redis.call('SET', key, struct.pack('<dd', first, last), 'EX', first_ttl)
  if first < now then
    out[#out + 1] = first
  else
    out[#out + 1] = now
  end
end

for i, key in ipairs(KEYS) do
  local op = ARGV[4 + i]
  local kind = op:sub(1, 1)
  if kind == 'h' then
    hit(key, true)
  elseif kind == 'r' then
    hit(key, false)
  elseif kind == 'm' then
    distinct(key, op:sub(2))
  elseif kind == 'd' then
    distinct(key, nil)
  elseif kind == 'f' then
    first_seen(key)
  else
    return redis.error_reply('unknown counter op ' .. kind)
  end
end
return out
