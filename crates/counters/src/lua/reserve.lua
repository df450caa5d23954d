-- Reserves a flash-call caller number for a verification.
-- KEYS[1]: the caller's key (value: the verification id holding it).
-- ARGV[1]: verification id; ARGV[2]: how long (ms).
-- 1 when reserved (or already held by this verification, extended), 0 when
-- another verification holds it.
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
