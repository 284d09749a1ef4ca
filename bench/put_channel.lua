-- wrk script: PUT /api/v1/channels/{id} with a full valid body and `If-Match: *`, over the
-- channels that bench/run created (BENCH_CHANNELS, their names put_<run>_<n>). Each
-- thread takes its own share of the channels, round-robin, so that few requests race for
-- one version (a lost race is a 412). Credentials are left out: the stored ones stay.
dofile(os.getenv("BENCH_DIR") .. "/lib.lua")
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("BENCH_TOKEN")
  ou = os.getenv("BENCH_OU")
  queue = os.getenv("BENCH_QUEUE")
  run = os.getenv("BENCH_RUN")
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  ids = {}
  for id in string.gmatch(os.getenv("BENCH_CHANNELS"), "[^,]+") do
    table.insert(ids, id)
  end
  mine = {}
  for n = tid, #ids, nthreads do
    table.insert(mine, n)
  end
  if #mine == 0 then mine = { (tid - 1) % #ids + 1 } end
  counter = 0
  statuses = {}
  sample = nil
end

function request()
  counter = counter + 1
  local n = mine[(counter - 1) % #mine + 1]
  local body = string.format([[{"name":"put_%s_%d","type":"x","x":{"accountLevel":"enterprise","signatureAlgorithm":"SHA-256"},"ouId":"%s","skillQueueId":"%s","transferKeywords":["agent"],"queueReminder":{"mode":"all","content":"Please wait."},"robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}]],
    run, n, ou, queue)
  return wrk.format("PUT", "/api/v1/channels/" .. ids[n], {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["If-Match"] = "*",
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
    if sample == nil then sample = status .. " " .. body end
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      io.write(string.format("  thread %d: %d answers %s\n", thread:get("tid"), count, status))
    end
    local first = thread:get("sample")
    if first then io.write(string.format("  thread %d, first of them: %s\n", thread:get("tid"), string.sub(first, 1, 300))) end
  end
  report(summary, latency)
end
