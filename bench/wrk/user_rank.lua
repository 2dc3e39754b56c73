-- GET leaderboard/users/{username}/ for a random bench player of a board.
-- wrk ... -s user_rank.lua URL -- <game slug> <players on the board>
dofile("report.lua")

local slug, players

function init(args)
  slug = args[1]
  players = tonumber(args[2])
  seed_random()
end

function request()
  local name = string.format("bench-p%07d", math.random(0, players - 1))
  return wrk.format("GET", "/api/v1/games/" .. slug .. "/leaderboard/users/" .. name .. "/")
end
