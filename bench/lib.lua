-- Shared by the wrk scripts of bench/run (loaded with dofile): `report` writes one JSON line
-- of figures to the file named by BENCH_JSON, so that nothing parses wrk's text output.
function report(summary, latency, extra)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"seconds":%.3f', seconds),
    string.format('"rps":%.1f', summary.requests / seconds),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p90_us":%d', latency:percentile(90)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"max_us":%d', latency.max),
    string.format('"status_errors":%d', e.status),
    string.format('"socket_errors":%d', e.connect + e.read + e.write + e.timeout),
  }
  for key, value in pairs(extra or {}) do
    table.insert(fields, string.format('"%s":%d', key, value))
  end
  local path = os.getenv("BENCH_JSON")
  if path then
    local file = assert(io.open(path, "w"))
    file:write("{" .. table.concat(fields, ",") .. "}\n")
    file:close()
  end
end
