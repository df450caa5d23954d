-- Frees a caller number if this verification holds it.
-- KEYS[1]: the caller's key; ARGV[1]: verification id.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
