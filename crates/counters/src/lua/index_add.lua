-- Notes a caller key in a verification's index of reservations.
-- KEYS[1]: the index set; ARGV[1]: the caller key; ARGV[2]: how long (ms).
-- The index lives as long as its longest reservation.
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
