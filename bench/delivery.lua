-- wrk script: POST signed Account Activity deliveries to BENCH_WEBHOOK_PATH, each request the
-- next line of this thread's pool file (BENCH_DELIVERIES.<thread>, lines "signature<TAB>body",
-- written by bench/bench.py with a distinct event id per line). Reading one line per request
-- keeps init instant, so no thread starts ahead of the others; a pool that runs out starts
-- over (its deliveries are then duplicates) and the wraps are reported.
dofile(os.getenv("BENCH_DIR") .. "/lib.lua")

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("BENCH_WEBHOOK_PATH")
  file = assert(io.open(os.getenv("BENCH_DELIVERIES") .. "." .. tid, "r"))
  wraps = 0
end

function request()
  local line = file:read("*l")
  if line == nil then
    wraps = wraps + 1
    file:seek("set", 0)
    line = file:read("*l")
  end
  local signature, body = line:match("^([^\t]+)\t(.*)$")
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["x-twitter-webhooks-signature"] = signature,
  }, body)
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("wraps")
  end
  report(summary, latency, { pool_wraps = total })
end
