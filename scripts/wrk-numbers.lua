-- wrk script for scripts/bench-http.sh: GET /v1/numbers/{n} rotating through
-- 10,000 different mobile numbers (random allocated segment + 8 random digits,
-- fixed seed), precomputed so the load generator spends no time building them.
-- The Authorization header given with -H is kept (wrk.format uses wrk.headers).
local segments = {130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 149,
                  150, 151, 152, 153, 155, 156, 157, 158, 159, 162, 165, 166, 167,
                  170, 171, 172, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184,
                  185, 186, 187, 188, 189, 190, 191, 192, 193, 195, 196, 197, 198, 199}
local paths = {}
local count = 10000
math.randomseed(20231225)
for i = 1, count do
  local seg = segments[math.random(#segments)]
  paths[i] = string.format("/v1/numbers/%d%04d%04d", seg, math.random(0, 9999), math.random(0, 9999))
end
local i = 0
local requests = {}

init = function(args)
  -- offset each thread so they do not walk in step
  i = math.random(count) - 1
  for k = 1, count do
    requests[k] = wrk.format("GET", paths[k])
  end
end

request = function()
  i = i % count + 1
  return requests[i]
end
