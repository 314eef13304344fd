-- wrk script: announces from PEERS distinct peers (peer id and port differ; every request comes
-- from 127.0.0.1) on one torrent. MURDER_BENCH_INFOHASH is the percent-encoded info-hash.
local hash = os.getenv("MURDER_BENCH_INFOHASH")
local peers = tonumber(os.getenv("MURDER_BENCH_PEERS") or "10000")
local counter = 0
-- MURDER_BENCH_CLOSE=1 sends Connection: close, so every announce opens a new connection.
local headers = (os.getenv("MURDER_BENCH_CLOSE") == "1") and { ["Connection"] = "close" } or nil

function setup(thread)
  -- Threads start at different peers so they do not walk in step.
  thread:set("start", math.random(0, peers - 1))
end

function init(args)
  counter = start or 0
end

function request()
  local i = counter % peers
  counter = counter + 1
  local left = (i % 10 == 0) and "0" or "1048576"
  local path = "/announce?info_hash=" .. hash ..
    "&peer_id=-WK0001-" .. string.format("%012d", i) ..
    "&port=" .. (20000 + i) ..
    "&uploaded=0&downloaded=0&left=" .. left .. "&compact=1&numwant=50"
  return wrk.format("GET", path, headers)
end
