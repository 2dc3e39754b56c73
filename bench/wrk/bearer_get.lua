-- GET one path as signed-in players, rotating over their access tokens.
-- wrk ... -s bearer_get.lua URL -- <path> <file with one token a line>
dofile("report.lua")

local path, tokens
local counter = 0

function init(args)
  path = args[1]
  tokens = read_lines(args[2])
  counter = thread_id or 0
end

function request()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1] }
  return wrk.format("GET", path, headers)
end
