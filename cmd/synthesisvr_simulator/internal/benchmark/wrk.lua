-- The benchmark's wrk script: one event per POST, as SynthesisVR sends them. Each
-- thread numbers its requests: odd ones create a fresh session (its uuid names the
-- run, the thread and the number), even ones delete the session created lag creates
-- before, so that a delete comes after its create was answered and the active
-- sessions stay few. A thread's first lag deletes name no session: the exporter
-- answers them 200 and counts them unmatched. wrk calls request once more in its
-- first thread to check the script, and does not send that create: its delete is
-- one more unmatched.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  run = args[1]
  lag = tonumber(args[2])
  n = 0
end

function request()
  n = n + 1
  local k = math.floor((n + 1) / 2)
  local action = "create"
  if n % 2 == 0 then
    action = "delete"
    k = k - lag
  end
  local body = string.format(
    '[{"uuid":"wrk-%s-%d-%d","action":"%s","location":"Venue %04d","stations":1,"customerid":%d}]',
    run, tid, k, action, k % 10 + 1, k)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

-- done prints one line for the benchmark to read; times are in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "synthesisvr-wrk requests=%.0f duration_us=%.0f status_errors=%.0f socket_errors=%.0f p50_us=%.0f p99_us=%.0f\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
