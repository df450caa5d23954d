-- Every counter op of one risk event, applied in order in one call: one GET
-- per op and, when the op writes, one SET. Each key is a packed string
-- (Lua's `struct`, little-endian; times are doubles, exact for Unix seconds):
--
--   hit        last event time (d), the sum of each window's ring (3 d),
--              then the rings of bucket counts (I4): W1/G1, W2/G2 and W3/G3
--              buckets, bucket b of window i at index b % (Wi/Gi) of its
--              ring (216 bytes)
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

-- A hit key: HEAD (last event time, then the sum of each ring), then the
-- rings of I4 counts; ring i starts at byte RING[i] and holds N[i] buckets,
-- those ending with the one of the last event, bucket x at slot x % N[i].
local HEAD = '<dddd'
local MAX_COUNT = 4294967295
local N, RING = {}, {}
local at = 33
for i = 1, 3 do
  N[i] = W[i] / G[i]
  RING[i] = at
  at = at + 4 * N[i]
end

local function push3(a, b, c)
  out[#out + 1], out[#out + 2], out[#out + 3] = a, b, c
end

-- Events older than a key's newest one count as that newest (t below).
local function hit(key, record)
  local packed = redis.call('GET', key)
  if not packed and not record then
    return push3(0, 0, 0)
  end
  local t, last = now, nil
  local sum = {}
  if packed then
    last, sum[1], sum[2], sum[3] = struct.unpack(HEAD, packed)
    if last > t then
      t = last
    end
  end
  if not record then
    -- Window i: the N[i] buckets ending with the one holding t, i.e. the
    -- ring without its d oldest buckets.
    for i = 1, 3 do
      local n, g = N[i], G[i]
      local l = math.floor(last / g)
      local d = math.floor(t / g) - l
      if d >= n then
        sum[i] = 0
      else
        for k = 1, d do
          sum[i] = sum[i] - struct.unpack('<I4', packed, RING[i] + 4 * ((l + k) % n))
        end
      end
    end
    return push3(sum[1], sum[2], sum[3])
  end
  local rings = {}
  for i = 1, 3 do
    local n, g, first = N[i], G[i], RING[i]
    local b = math.floor(t / g)
    local d = n
    if packed then
      d = b - math.floor(last / g)
    end
    local slot = b % n
    if d == 0 then
      local p = first + 4 * slot
      local c = struct.unpack('<I4', packed, p)
      if c < MAX_COUNT then
        c = c + 1
        sum[i] = sum[i] + 1
      end
      rings[i] = packed:sub(first, p - 1) .. struct.pack('<I4', c) .. packed:sub(p + 4, first + 4 * n - 1)
    elseif d >= n then
      rings[i] = string.rep('\0', 4 * slot) .. '\1\0\0\0' .. string.rep('\0', 4 * (n - slot - 1))
      sum[i] = 1
    else
      -- The d buckets after the last event's replace the d oldest.
      local fmt = '<' .. string.rep('I4', n)
      local v = { struct.unpack(fmt, packed, first) }
      for x = b - d + 1, b do
        sum[i] = sum[i] - v[x % n + 1]
        v[x % n + 1] = 0
      end
      v[slot + 1] = 1
      sum[i] = sum[i] + 1
      rings[i] = struct.pack(fmt, unpack(v, 1, n))
    end
  end
  redis.call('SET', key, struct.pack(HEAD, t, sum[1], sum[2], sum[3]) .. rings[1] .. rings[2] .. rings[3], 'EX', ttl)
  push3(sum[1], sum[2], sum[3])
end

-- Records of a distinct key: the first of `count` whose sighting is after
-- `bound` (they are in order of sighting): from the newest back when there
-- are few, else by bisection.
local function first_after(packed, count, bound)
  if count <= 8 then
    local k = count
    while k > 0 and struct.unpack('<d', packed, 1 + 16 * k) > bound do
      k = k - 1
    end
    return k
  end
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
      return push3(0, 0, 0)
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
    -- Every member left was seen within `ttl`.
    if W[i] < ttl then
      out[#out + 1] = count - first_after(packed, count, t - W[i])
    else
      out[#out + 1] = count
    end
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
