-- wrk script: the URL and headers given to wrk as they are (GET), figures by bench/lib.lua.
dofile(os.getenv("BENCH_DIR") .. "/lib.lua")

function done(summary, latency, requests)
  report(summary, latency)
end
