-- POST a score as signed-in players, rotating over their access tokens, each
-- request with its own Idempotency-Key (so every one makes a new score).
-- wrk ... -s submit.lua URL -- <board path> <file with one token a line> <unique run id> <largest value> [subscore]
-- (the board path is games/<slug> or games/<slug>/boards/<key>; with a
-- fifth argument `subscore`, each score carries a random subscore too)
dofile("report.lua")

local path, tokens, run_id, largest, with_subscore
local counter = 0

function init(args)
  path = "/api/v1/" .. args[1] .. "/scores/"
  tokens = read_lines(args[2])
  run_id = args[3]
  largest = tonumber(args[4])
  with_subscore = args[5] == "subscore"
  seed_random()
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_id or 0, counter),
  }
  local body
  if with_subscore then
    body = string.format('{"value":%d,"subscore":%d,"metadata":{"bench":"wrk"}}', math.random(1, largest),
      math.random(1, 1000))
  else
    body = string.format('{"value":%d,"metadata":{"bench":"wrk"}}', math.random(1, largest))
  end
  return wrk.format("POST", path, headers, body)
end
