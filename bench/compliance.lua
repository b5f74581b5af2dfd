-- wrk script of the status scenario: GET /v1/certifications/{id}/compliance with random ids.
-- BENCH_IDS names a file of certification ids (one a line); BENCH_TOKEN is a bearer token
-- (empty for the baseline app, which does no auth).
local ids = {}
local headers = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
  local token = os.getenv("BENCH_TOKEN") or ""
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  math.randomseed(os.time() + (wrk.thread and 17 or 0))
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/v1/certifications/" .. id .. "/compliance", headers)
end
