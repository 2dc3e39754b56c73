-- POST a score as signed-in players, rotating over their access tokens, each
-- request with its own Idempotency-Key (so every one makes a new score).
-- wrk ... -s submit.lua URL -- <board path> <file with one token a line> <unique run id> <largest value>
-- (the board path is games/<slug> or games/<slug>/boards/<key>)
dofile("report.lua")

local path, tokens, run_id, largest
local counter = 0

function init(args)
  path = "/api/v1/" .. args[1] .. "/scores/"
  tokens = read_lines(args[2])
  run_id = args[3]
  largest = tonumber(args[4])
  seed_random()
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_id or 0, counter),
  }
  local body = string.format('{"value":%d,"metadata":{"bench":"wrk"}}', math.random(1, largest))
  return wrk.format("POST", path, headers, body)
end
