-- wrk script: POSTs pre-signed webhook deliveries (bench/sign_deliveries.py) to
-- /webhooks/x/<channel>, each thread its own share of the file, in turn. When a run sends
-- more requests than the file holds, the later ones are duplicates (stored once, counted
-- in xchannel_messages_duplicate_total).
--
--   DELIVERIES=deliveries.tsv CHANNEL=<id> wrk -t2 -c64 -d10s -s bench/delivery.lua http://127.0.0.1:PORT

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  thread:set("count", 0)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("DELIVERIES") or "deliveries.tsv"
  local stride = tonumber(os.getenv("WRK_THREADS") or "2")
  requests = {}
  local n = 0
  for line in io.lines(path) do
    if n % stride == id then
      local tab = line:find("\t", 1, true)
      local signature, body = line:sub(1, tab - 1), line:sub(tab + 1)
      table.insert(requests, wrk.format("POST", "/webhooks/x/" .. os.getenv("CHANNEL"), {
        ["Content-Type"] = "application/json",
        ["x-twitter-webhooks-signature"] = signature,
      }, body))
    end
    n = n + 1
  end
  next_request = 1
  non200 = 0
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end
