#Requires -Version 7.4
<#
.SYNOPSIS
    The tracker's announce rate with its live page open (and /metrics scraped) against without, side by side.
.DESCRIPTION
    Builds nothing: it imports out/Murder (run ./build.ps1 first) and needs wrk, Debian's chromium,
    node and tests/browser/node_modules (tools/Install-TestPrerequisites.ps1). Starts Murder's tracker
    in the background on a loopback port, registers one torrent, fills its deploy ledger with HOSTS
    hosts (wrk with bench/tracker/report.lua), then runs wrk with bench/tracker/announce.lua for
    DURATION seconds ROUNDS times each of three ways, in turn (the order turns every round): with no page open; with headless
    Chromium on this machine showing that deploy on the live page (polling every second); and with
    only the page's requests at its pace (node, no browser: what a browser on the operator's own
    machine costs the tracker). In the last two a scraper also reads /metrics every second. Prints
    announces/s and the tracker's CPU time per announce of every run, the means and the ratios.
    Chromium shares this machine's cores with the tracker and wrk, so its ratio also counts the
    browser's own CPU. Everything it starts is stopped and every file removed, also on failure.
.EXAMPLE
    dotnet pwsh bench/tracker/Invoke-LivePageBenchmark.ps1 -Rounds 3
#>
[CmdletBinding()]
param(
    [int] $Hosts = 10000,
    [int] $Peers = 10000,
    [int] $Duration = 10,
    [int] $Rounds = 3,
    [int] $Connections = 64,
    [switch] $NewConnectionPerAnnounce
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
foreach ($tool in 'wrk', 'node') {
    if (-not (Get-Command $tool -ErrorAction Ignore)) { throw "$tool is missing: run tools/Install-TestPrerequisites.ps1" }
}
if (-not (Test-Path /usr/bin/chromium)) { throw 'Debian''s chromium is missing: run tools/Install-TestPrerequisites.ps1' }
if (-not (Test-Path (Join-Path $root 'tests/browser/node_modules/playwright-core'))) { throw 'tests/browser/node_modules is missing: run tools/Install-TestPrerequisites.ps1' }

Import-Module (Join-Path $PSScriptRoot 'TrackerBench.psm1') -Force

function Invoke-Wrk([string] $Script, [string] $Url, [int] $Seconds) {
    $text = (& wrk -t1 "-c$Connections" "-d${Seconds}s" -s (Join-Path $PSScriptRoot $Script) $Url) -join "`n"
    if ($LASTEXITCODE -ne 0) { throw "wrk failed: $text" }
    if ($text -notmatch '(\d+) requests in') { throw "wrk printed no request count: $text" }
    $requests = [long]$Matches[1]
    if ($text -notmatch 'Requests/sec:\s+([\d.]+)') { throw "wrk printed no rate: $text" }
    [pscustomobject]@{ Rate = [double]$Matches[1]; Requests = $requests }
}

# Seconds the tracker spent answering each route so far (its own request-duration histogram).
function Get-RouteSeconds([string] $Url) {
    $table = @{}
    foreach ($line in (Invoke-WebRequest -Uri "$Url/metrics" -UseBasicParsing).Content -split "`n") {
        if ($line -match '^murder_tracker_request_duration_seconds_sum\{route="(\w+)"\} (\S+)$') { $table[$Matches[1]] = [double]$Matches[2] }
    }
    $table
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) ('murder-pagebench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path $work
$savedState = $env:MURDER_STATE_DIR
$env:MURDER_STATE_DIR = Join-Path $work 'state'
$port = Get-FreePort
$browser = $null
try {
    Import-Module (Join-Path $root 'out/Murder/Murder.psd1') -Force
    $bench = Start-BenchTracker -Work $work -Port $port -Tag PageBench
    $tracker, $torrent = $bench.Tracker, $bench.Torrent
    $hash = $torrent.InfoHash.ToLowerInvariant()
    $env:MURDER_BENCH_INFOHASH = -join ([System.Convert]::FromHexString($hash) | ForEach-Object { '%{0:X2}' -f $_ })
    $env:MURDER_BENCH_PEERS = $Peers
    $env:MURDER_BENCH_HOSTS = $Hosts
    $env:MURDER_BENCH_SIZE = $torrent.Size
    $env:MURDER_BENCH_CLOSE = if ($NewConnectionPerAnnounce) { '1' } else { '0' }
    $url = "http://127.0.0.1:$port"

    # The ledger: every host reported at least once.
    for ($try = 0; $try -lt 10; $try++) {
        $null = Invoke-Wrk 'report.lua' $url 3
        $listed = (Invoke-RestMethod "$url/deploy").deploys | Where-Object infoHash -eq $hash
        if ($listed -and $listed.hosts -ge $Hosts) { break }
    }
    if (-not $listed -or $listed.hosts -lt $Hosts) { throw "The ledger holds $($listed.hosts) hosts after 10 fills, not $Hosts." }
    $null = Invoke-Wrk 'announce.lua' $url 3   # warm-up: every peer announces at least once

    $loadBefore = (Get-Content -LiteralPath /proc/loadavg -Raw).Trim()
    $runs = for ($round = 1; $round -le $Rounds; $round++) {
        # The order turns each round, so a machine getting busier or quieter favours no mode.
        $modes = 'closed', 'open in Chromium here', 'its requests only'
        $turn = ($round - 1) % $modes.Count
        foreach ($page in @($modes[$turn..($modes.Count - 1)]) + @(if ($turn -gt 0) { $modes[0..($turn - 1)] })) {
            $withPage = $page -ne 'closed'
            $watch = $null
            if ($withPage) {
                $out = Join-Path $work "watch-$round.json"
                $scenario = if ($page -eq 'its requests only') { 'poll' } else { 'watch' }
                $browserArgs = @((Join-Path $root 'tests/browser/live-page.mjs'), '--scenario', $scenario, '--base', "$url/", '--info-hash', $hash,
                    '--seconds', ($Duration + 2), '--metrics-ms', 1000, '--profile', (Join-Path $work "chromium-$round"))
                $browser = Start-Process -FilePath (Get-Command node).Source -ArgumentList $browserArgs -RedirectStandardOutput $out -RedirectStandardError "$out.err" -PassThru
                # The page has loaded the whole ledger once it polls; give it a moment before measuring.
                Start-Sleep -Seconds 3
            }
            $routesBefore = Get-RouteSeconds $url
            $cpuBefore = Get-CpuSeconds $tracker.ProcessId
            $run = Invoke-Wrk 'announce.lua' $url $Duration
            $cpu = (Get-CpuSeconds $tracker.ProcessId) - $cpuBefore
            $routesAfter = Get-RouteSeconds $url
            $pageSeconds = 0.0
            foreach ($route in 'page', 'deploy', 'metrics') { $pageSeconds += $routesAfter[$route] - $routesBefore[$route] }
            if ($withPage) {
                if (-not $browser.WaitForExit(60000)) { $browser.Kill($true) }
                $watch = Get-Content -LiteralPath $out -Raw | ConvertFrom-Json
                if (-not $watch.ok) { throw "The browser failed: $($watch.error)" }
                $browser = $null
            }
            [pscustomobject]@{
                Round            = $round
                Page             = $page
                AnnouncesPerSec  = [math]::Round($run.Rate)
                CpuUsPerAnnounce = [math]::Round($cpu * 1e6 / [math]::Max($run.Requests, 1), 2)
                # Handling time of the page's routes (/, /swarms, /deploy, /metrics) per second of the run, against all the tracker's CPU.
                PageMsPerSec     = [math]::Round($pageSeconds * 1000 / $Duration, 2)
                PageShareOfCpu   = [math]::Round($pageSeconds / [math]::Max($cpu, 1e-9), 4)
                PagePolls        = if ($watch) { $watch.polls } else { $null }
                PageHosts        = if ($watch) { $watch.hosts } else { $null }
                MetricsScrapes   = if ($watch) { $watch.metricsScrapes } else { $null }
            }
        }
    }

    $runs | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $closed = ($runs | Where-Object Page -eq 'closed' | Measure-Object AnnouncesPerSec -Average).Average
    $cpuClosed = ($runs | Where-Object Page -eq 'closed' | Measure-Object CpuUsPerAnnounce -Average).Average
    foreach ($page in 'open in Chromium here', 'its requests only') {
        $rate = ($runs | Where-Object Page -eq $page | Measure-Object AnnouncesPerSec -Average).Average
        $cpu = ($runs | Where-Object Page -eq $page | Measure-Object CpuUsPerAnnounce -Average).Average
        Write-Host ("Page {0}, /metrics scraped every second: {1:N0} announces/s against {2:N0} closed, ratio {3:N3} ({4:+0.0;-0.0}%); tracker CPU per announce {5:N2} us against {6:N2} us, ratio {7:N3}." -f $page, $rate, $closed, ($rate / $closed), (100 * ($rate / $closed - 1)), $cpu, $cpuClosed, ($cpu / $cpuClosed))
    }
    $share = ($runs | Where-Object Page -ne 'closed' | Measure-Object PageShareOfCpu -Average).Average
    Write-Host ("The page's routes (/, /swarms, /deploy, /metrics) took {0:P2} of the tracker's CPU time while open (their own handling time from the tracker's histogram; sockets not counted)." -f $share)
    $mode = if ($NewConnectionPerAnnounce) { 'Connection: close' } else { 'keep-alive' }
    Write-Host "Load: wrk -t1 -c$Connections -d${Duration}s ($mode), $Peers peers announcing, a ledger of $Hosts hosts on the page, $Rounds rounds alternating, on $([Environment]::ProcessorCount) cores with Chromium on the same cores; load average before: $loadBefore, after: $((Get-Content -LiteralPath /proc/loadavg -Raw).Trim())."
    $runs
}
finally {
    if ($browser -and -not $browser.HasExited) { $browser.Kill($true); $browser.WaitForExit(5000) }
    Stop-MurderTracker -Port $port -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item Env:MURDER_BENCH_INFOHASH, Env:MURDER_BENCH_PEERS, Env:MURDER_BENCH_HOSTS, Env:MURDER_BENCH_SIZE, Env:MURDER_BENCH_CLOSE -ErrorAction Ignore
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
