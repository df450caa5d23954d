-- Send admission over every limit of one send, atomically.
-- KEYS[i]: the sorted set of limit i (members: send ids, scores: ms).
-- ARGV[1]: now (ms); ARGV[2]: this send's id; then per limit: max, window (ms).
-- Returns {0, 0} after taking a slot of every limit, or {i, retry_ms} for the
-- first full limit i (nothing taken).
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
  if redis.call('ZCARD', key) >= max then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local free_at = now + window
    if #oldest > 0 then free_at = tonumber(oldest[2]) + window end
    return {i, math.max(free_at - now, 1)}
  end
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return {0, 0}
