-- wrk script: deploy-ledger reports from HOSTS distinct hosts on one torrent, as peers send them
-- (GET /report, the announce URL's last segment replaced). Each host keeps one stage, chosen by its
-- number, so a run fills the ledger with a realistic mix: mostly downloading, some done or seeding,
-- a few starting, verifying, extracting or failed. MURDER_BENCH_INFOHASH is the percent-encoded
-- info-hash, MURDER_BENCH_SIZE the artifact's bytes, MURDER_BENCH_QUERY extra query (murder_key=...).
local hash = os.getenv("MURDER_BENCH_INFOHASH")
local hosts = tonumber(os.getenv("MURDER_BENCH_HOSTS") or "10000")
local size = tonumber(os.getenv("MURDER_BENCH_SIZE") or "104857600")
local extra = os.getenv("MURDER_BENCH_QUERY") or ""
if extra ~= "" then extra = "&" .. extra end
local counter = 0

local function stage(i)
  local m = i % 100
  if m < 3 then return "starting" elseif m < 6 then return "verifying" elseif m < 66 then return "downloading"
  elseif m < 70 then return "extracting" elseif m < 80 then return "seeding" elseif m < 98 then return "done" end
  return "failed"
end

function request()
  local i = counter % hosts
  counter = counter + 1
  local s = stage(i)
  local downloaded = size
  if s == "starting" then downloaded = 0
  elseif s == "verifying" or s == "downloading" or s == "failed" then downloaded = math.floor(size * ((i * 7919) % 1000) / 1000) end
  local rate = (s == "downloading") and (1000000 + (i * 104729) % 50000000) or 0
  local path = "/report?info_hash=" .. hash ..
    "&peer_id=-WK0001-" .. string.format("%012d", i) ..
    "&host=host-" .. string.format("%05d", i) ..
    "&role=peer&stage=" .. s ..
    "&downloaded=" .. downloaded .. "&left=" .. (size - downloaded) .. "&rate=" .. rate .. extra
  if s == "failed" then
    path = path .. "&error_id=DiskFull&message=No%20space%20left%20on%20%2Fsrv%3A%20free%20space%20and%20retry"
  end
  return wrk.format("GET", path)
end
