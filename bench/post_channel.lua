-- wrk script: POST /api/v1/channels with a unique name and API key per request.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("BENCH_TOKEN")
  ou = os.getenv("BENCH_OU")
  queue = os.getenv("BENCH_QUEUE")
  run = os.getenv("BENCH_RUN")
end

function request()
  counter = counter + 1
  local name = string.format("bench_%s_%d_%d", run, tid, counter)
  local body = string.format([[{"name":"%s","type":"x","x":{"apiKey":"key%s","apiKeySecret":"secretsecret%d","accessToken":"1-token%d","accessTokenSecret":"tokensecret%d","accountLevel":"pro","signatureAlgorithm":"SHA-256"},"ouId":"%s","skillQueueId":"%s","transferKeywords":["agent"],"workTime":{"workday":[{"start":"08:00","end":"18:00"}],"nonWorkday":[{"start":"10:00","end":"16:00"}]},"nonWorkingTimeNotification":"We are closed now.","queueReminder":{"mode":"all","content":"Please wait.","progressContent":"You are number ${position}"},"callTransferInteractionTimes":3,"robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}]],
    name, name, counter, counter, counter, ou, queue)
  return wrk.format("POST", "/api/v1/channels", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

dofile(os.getenv("BENCH_DIR") .. "/lib.lua")

function done(summary, latency, requests)
  report(summary, latency)
end
