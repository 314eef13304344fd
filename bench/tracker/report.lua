-- wrk script: deploy ledger reports from PEERS distinct hosts (host names differ; every request
-- comes from 127.0.0.1) on one torrent. MURDER_BENCH_INFOHASH is the percent-encoded info-hash.
-- One host in ten is seeding; the others are downloading, their bytes growing with every round.
local hash = os.getenv("MURDER_BENCH_INFOHASH")
local peers = tonumber(os.getenv("MURDER_BENCH_PEERS") or "10000")
local counter = 0
-- MURDER_BENCH_CLOSE=1 sends Connection: close, so every report opens a new connection.
local headers = (os.getenv("MURDER_BENCH_CLOSE") == "1") and { ["Connection"] = "close" } or nil
local size = 104857600

function setup(thread)
  -- Threads start at different hosts so they do not walk in step.
  thread:set("start", math.random(0, peers - 1))
end

function init(args)
  counter = start or 0
end

function request()
  local i = counter % peers
  local round = math.floor(counter / peers)
  counter = counter + 1
  local stage, downloaded = "downloading", (round * 1048576) % size
  if i % 10 == 0 then
    stage, downloaded = "seeding", size
  end
  local path = "/report?info_hash=" .. hash ..
    "&peer_id=-WK0001-" .. string.format("%012d", i) ..
    "&host=bench-host-" .. string.format("%06d", i) ..
    "&stage=" .. stage ..
    "&downloaded=" .. downloaded .. "&left=" .. (size - downloaded) .. "&rate=" .. (1048576 + i)
  return wrk.format("GET", path, headers)
end
