-- wrk script: the reports of report.lua (beside this file), each sent with Connection: close, so
-- every report opens a new connection (as a peer that does not keep its connection sends them).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
dofile(here .. "report.lua")
local report = request

function request()
  return (report():gsub("\r\n\r\n$", "\r\nConnection: close\r\n\r\n", 1))
end
