-- Every counter op of one risk event, applied in order in one call: one GET
-- per entity (an account, IP, subnet, phone or device: the counters of one
-- entity share one key) and, when one of its counters changed, one SET.
--
-- An entity's key is a packed string of fields, one per counter: a 1-byte
-- name length, the name (the op kind and the counter's name, e.g.
-- 'hacct:login'), a 4-byte value length (I4), the value. Each value is
-- packed (Lua's `struct`, little-endian; times are doubles, exact for Unix
-- seconds):
--
--   hit        last event time (d), the sum of each window's ring (3 d),
--              then the rings of bucket counts (I4): W1/G1, W2/G2 and W3/G3
--              buckets, bucket b of window i at index b % (Wi/Gi) of its
--              ring (216 bytes)
--   distinct   newest sighting (d), then one 16-byte record per member:
--              member (8 bytes, a keyed hash), latest sighting (d), the
--              records in order of sighting (oldest first)
--   first seen first sighting (d), latest sighting (d); first-seen counters
--              have keys of their own (their TTL is longer)
--
-- A key's TTL is renewed by any write that renews (a hit recorded, a member
-- recorded, a sighting): its fields may outlive their own last write, which
-- reads as if they had expired (hits a day old fall out of every window,
-- members a day old are dropped).
--
-- KEYS[k]      the key of entity k
-- ARGV[1]      now (Unix s)
-- ARGV[2]      TTL of hit and distinct keys (s), and how long a member is kept
-- ARGV[3]      most members kept per distinct counter
-- ARGV[4]      TTL of first-seen keys (s)
-- ARGV[2+3i..4+3i]  op i: its entity k, its field name, its code: 'h' hit
--              recorded, 'r' hit read only, 'd' distinct read only, 'm'
--              followed by the 8-byte member: distinct recorded, 'f' first seen
-- Returns      flat: the three window counts of each hit or distinct op, the
--              first-seen time of each first-seen op, in the order of the ops.
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

-- Events older than a counter's newest one count as that newest (t below).
-- Returns the new value when it changed.
local function hit(packed, record)
  if not packed and not record then
    push3(0, 0, 0)
    return nil
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
    push3(sum[1], sum[2], sum[3])
    return nil
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
  push3(sum[1], sum[2], sum[3])
  return struct.pack(HEAD, t, sum[1], sum[2], sum[3]) .. rings[1] .. rings[2] .. rings[3]
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

-- Returns the new value when it changed, and whether the change renews the
-- key's TTL (a member recorded, not members forgotten).
local function distinct(packed, member)
  if not packed then
    if not member then
      push3(0, 0, 0)
      return nil, false
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
  end
  for i = 1, 3 do
    -- Every member left was seen within `ttl`.
    if W[i] < ttl then
      out[#out + 1] = count - first_after(packed, count, t - W[i])
    else
      out[#out + 1] = count
    end
  end
  if changed or gone > 0 then
    return packed, changed
  end
  return nil, false
end

-- Returns the new value (always written: the latest sighting).
local function first_seen(packed)
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
  if first < now then
    out[#out + 1] = first
  else
    out[#out + 1] = now
  end
  return struct.pack('<dd', first, last)
end

-- The fields of each entity, read on first use: names in order, and values.
local names, values = {}, {}
-- Per entity: 'keep' when a field changed, the TTL to set when a change renews.
local dirty, renew = {}, {}

local function load(k)
  local n, v = {}, {}
  local packed = redis.call('GET', KEYS[k])
  if packed then
    local at, len = 1, #packed
    while at <= len do
      local nl = struct.unpack('<B', packed, at)
      local name = packed:sub(at + 1, at + nl)
      local vl = struct.unpack('<I4', packed, at + 1 + nl)
      at = at + 5 + nl
      n[#n + 1] = name
      v[name] = packed:sub(at, at + vl - 1)
      at = at + vl
    end
  end
  names[k], values[k] = n, v
end

local function store(k, name, value, ttl_s)
  local v = values[k]
  if v[name] == nil then
    local n = names[k]
    n[#n + 1] = name
  end
  v[name] = value
  dirty[k] = true
  if ttl_s and (renew[k] or 0) < ttl_s then
    renew[k] = ttl_s
  end
end

for i = 1, (#ARGV - 4) / 3 do
  local k = tonumber(ARGV[2 + 3 * i])
  local name = ARGV[3 + 3 * i]
  local op = ARGV[4 + 3 * i]
  if not names[k] then
    load(k)
  end
  local old = values[k][name]
  local kind = op:sub(1, 1)
  if kind == 'h' or kind == 'r' then
    local new = hit(old, kind == 'h')
    if new then
      store(k, name, new, ttl)
    end
  elseif kind == 'm' or kind == 'd' then
    local member
    if kind == 'm' then
      member = op:sub(2)
    end
    local new, renews = distinct(old, member)
    if new then
      store(k, name, new, renews and ttl or nil)
    end
  elseif kind == 'f' then
    store(k, name, first_seen(old), first_ttl)
  else
    return redis.error_reply('unknown counter op ' .. kind)
  end
end

for k, _ in pairs(dirty) do
  local parts = {}
  local v = values[k]
  for _, name in ipairs(names[k]) do
    local value = v[name]
    parts[#parts + 1] = struct.pack('<B', #name) .. name .. struct.pack('<I4', #value) .. value
  end
  local packed = table.concat(parts)
  if renew[k] then
    redis.call('SET', KEYS[k], packed, 'EX', renew[k])
  else
    redis.call('SET', KEYS[k], packed, 'KEEPTTL')
  end
end
return out
