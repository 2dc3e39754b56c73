-- Shared by every bench scenario: numbers each wrk thread (for seeds and
-- unique keys), counts answers by HTTP status, and prints the run's figures
-- as one JSON line that bench/run.py parses (latencies in microseconds).
-- With no other script, wrk sends the same GET to the URL it was given.
-- BENCH_WRK_PLAIN=1 leaves out the per-response hook (for the bare ASGI
-- ceiling, where the client's own Lua per response would be the limit).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

if os.getenv("BENCH_WRK_PLAIN") ~= "1" then
  statuses = {}
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local counted = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      counted[status] = (counted[status] or 0) + count
    end
  end
  local by_status = {}
  for status, count in pairs(counted) do
    table.insert(by_status, string.format('"%d":%d', status, count))
  end
  local out = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format(
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      e.connect, e.read, e.write, e.status, e.timeout
    ),
    string.format(
      '"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}',
      latency.min, latency.max, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)
    ),
    '"statuses":{' .. table.concat(by_status, ",") .. "}",
  }
  io.write("WRK_JSON {" .. table.concat(out, ",") .. "}\n")
end

-- Helpers for the scenario scripts.
function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  assert(#lines > 0, "no lines in " .. path)
  return lines
end

function seed_random()
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end
