#Requires -Version 7.4
<#
.SYNOPSIS
    Announces per second of Murder's tracker and of opentracker under the same wrk load, side by side.
.DESCRIPTION
    Builds nothing: it imports out/Murder (run ./build.ps1 first). Creates one small torrent,
    starts Murder's tracker (in the background, registered torrent) and opentracker (Debian build,
    with a whitelist holding that info-hash) on loopback ports, fills each with PEERS distinct peers,
    then runs wrk with bench/tracker/announce.lua against each for DURATION seconds. Murder is
    measured twice: with keep-alive, and with Connection: close (a new TCP connection per announce,
    as most BitTorrent clients announce). opentracker closes the connection after every response
    whatever the request asks, so it has only the second mode, and it gets exactly the same
    requests as Murder's Connection: close run: that pair is the like-for-like comparison. Prints
    announces/s, the tracker's CPU time per announce, wrk's socket errors, the peers each tracker
    then lists (scrape), and the resident memory of Murder's tracker process. Then the deploy
    ledger: every one of PEERS distinct hosts reports once (bench/tracker/report.lua: each host
    keeps one stage, a realistic mix of every stage), the resident
    memory is read again (the ledger's cost at PEERS hosts), and wrk sends reports for DURATION
    seconds in both connection modes: reports/s and CPU per report, and from those and the
    announce figures the share of one core that PEERS hosts cost when each announces every 15 s
    and reports every 5 s. Everything it starts is stopped and every file removed, also on failure.
.EXAMPLE
    dotnet pwsh bench/tracker/Invoke-TrackerBenchmark.ps1
#>
[CmdletBinding()]
param(
    [int] $Peers = 10000,
    [int] $Duration = 10,
    [int] $Connections = 64,
    [int] $Threads = 1
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
foreach ($tool in 'wrk', 'opentracker') {
    if (-not (Get-Command $tool -ErrorAction Ignore)) { throw "$tool is missing: apt-get install $tool" }
}

Import-Module (Join-Path $PSScriptRoot 'TrackerBench.psm1') -Force

function Invoke-Wrk([string] $Url, [int] $Seconds, [string] $Script = 'announce.lua') {
    $text = (& wrk "-t$Threads" "-c$Connections" "-d${Seconds}s" -s (Join-Path $PSScriptRoot $Script) $Url) -join "`n"
    if ($LASTEXITCODE -ne 0) { throw "wrk failed: $text" }
    $non2xx = if ($text -match 'Non-2xx or 3xx responses: (\d+)') { [int]$Matches[1] } else { 0 }
    $socketErrors = if ($text -match 'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)') {
        [long]$Matches[1] + [long]$Matches[2] + [long]$Matches[3] + [long]$Matches[4]
    } else { 0 }
    $requests = if ($text -match '(\d+) requests in') { [long]$Matches[1] } else { throw "wrk printed no request count: $text" }
    if ($text -notmatch 'Requests/sec:\s+([\d.]+)') { throw "wrk printed no rate: $text" }
    [pscustomobject]@{ Rate = [double]$Matches[1]; Requests = $requests; Non2xx = $non2xx; SocketErrors = $socketErrors; Text = $text }
}

function Get-Rss([int] $ProcessId) {
    $line = Get-Content -LiteralPath "/proc/$ProcessId/status" | Where-Object { $_ -like 'VmRSS:*' }
    [long]($line -replace '\D', '') * 1KB
}

function Get-ScrapePeers([string] $Url) {
    $bytes = (Invoke-WebRequest -Uri $Url -UseBasicParsing).RawContentStream.ToArray()
    $text = [System.Text.Encoding]::Latin1.GetString($bytes)
    $complete = if ($text -match '8:completei(\d+)e') { [int]$Matches[1] } else { 0 }
    $incomplete = if ($text -match '10:incompletei(\d+)e') { [int]$Matches[1] } else { 0 }
    $complete + $incomplete
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) ('murder-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path $work
$savedState = $env:MURDER_STATE_DIR
$env:MURDER_STATE_DIR = Join-Path $work 'state'
$opentracker = $null
$murderPort = Get-FreePort
try {
    Import-Module (Join-Path $root 'out/Murder/Murder.psd1') -Force
    $bench = Start-BenchTracker -Work $work -Port $murderPort -Tag Bench
    $tracker, $torrent = $bench.Tracker, $bench.Torrent
    $escaped = -join ([System.Convert]::FromHexString($torrent.InfoHash) | ForEach-Object { '%{0:X2}' -f $_ })
    $env:MURDER_BENCH_INFOHASH = $escaped
    $env:MURDER_BENCH_PEERS = $Peers

    # opentracker's Debian build serves only whitelisted info-hashes (-w); it chroots to -d.
    $otDir = New-Item -ItemType Directory -Path (Join-Path $work 'opentracker')
    Set-Content -LiteralPath (Join-Path $otDir 'whitelist') -Value $torrent.InfoHash
    $otPort = Get-FreePort
    $opentracker = Start-Process -FilePath (Get-Command opentracker).Source -ArgumentList @('-i', '127.0.0.1', '-p', $otPort, '-P', $otPort, '-d', $otDir.FullName, '-w', 'whitelist') `
        -RedirectStandardOutput (Join-Path $work 'opentracker.out') -RedirectStandardError (Join-Path $work 'opentracker.err') -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ($true) {
        try { $null = Invoke-WebRequest "http://127.0.0.1:$otPort/scrape?info_hash=$escaped" -UseBasicParsing; break }
        catch { if ([DateTime]::UtcNow -gt $deadline -or $opentracker.HasExited) { throw "opentracker did not start: $(Get-Content (Join-Path $work 'opentracker.err') -Raw)" }; Start-Sleep -Milliseconds 100 }
    }

    $idleRss = Get-Rss $tracker.ProcessId
    $loadBefore = (Get-Content -LiteralPath /proc/loadavg -Raw).Trim()
    $keepAlive = 'keep-alive'
    $perAnnounce = 'new per announce'
    $results = foreach ($target in @(
            @{ Name = 'Murder'; Mode = $keepAlive; Port = $murderPort; ProcessId = $tracker.ProcessId }
            @{ Name = 'Murder'; Mode = $perAnnounce; Port = $murderPort; ProcessId = $tracker.ProcessId }
            @{ Name = 'opentracker'; Mode = $perAnnounce; Port = $otPort; ProcessId = $opentracker.Id })) {
        # Connection: close in every request of the per-announce runs, for both trackers alike.
        $env:MURDER_BENCH_CLOSE = if ($target.Mode -eq $perAnnounce) { '1' } else { '0' }
        $url = "http://127.0.0.1:$($target.Port)"
        $null = Invoke-Wrk $url 3   # warm-up: every peer announces at least once
        $cpuBefore = Get-CpuSeconds $target.ProcessId
        $run = Invoke-Wrk $url $Duration
        $cpu = (Get-CpuSeconds $target.ProcessId) - $cpuBefore
        [pscustomobject]@{
            Tracker          = $target.Name
            Connections      = $target.Mode
            AnnouncesPerSec  = [math]::Round($run.Rate)
            CpuUsPerAnnounce = [math]::Round($cpu * 1e6 / [math]::Max($run.Requests, 1), 1)
            Non2xx           = $run.Non2xx
            SocketErrors     = $run.SocketErrors
            PeersListed      = Get-ScrapePeers "$url/scrape?info_hash=$escaped"
        }
    }

    $rss = Get-Rss $tracker.ProcessId
    $results | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $murderClose = $results | Where-Object { $_.Tracker -eq 'Murder' -and $_.Connections -eq $perAnnounce }
    $otClose = $results | Where-Object { $_.Tracker -eq 'opentracker' }
    Write-Host ("Like for like (a new connection per announce, identical requests with Connection: close): Murder {0:N0}/s, opentracker {1:N0}/s, ratio {2:N2}." -f $murderClose.AnnouncesPerSec, $otClose.AnnouncesPerSec, ($murderClose.AnnouncesPerSec / [math]::Max($otClose.AnnouncesPerSec, 1)))
    Write-Host 'opentracker closes every connection whatever the request asks, so it has no keep-alive figure. It answers without a Connection: close header, so wrk counts each of its closes as a read error: those socket errors are not failed announces.'
    Write-Host 'CpuUsPerAnnounce is the tracker process''s CPU time (user + system) over the measured run divided by the announces answered; it moves less than the rate when other work shares the machine.'
    Write-Host ("Murder's background tracker process: {0:N1} MB resident idle before the load, {1:N1} MB with $Peers peers after it (+{2:N1} MB)." -f ($idleRss / 1MB), ($rss / 1MB), (($rss - $idleRss) / 1MB))
    Write-Host "Load: wrk -t$Threads -c$Connections -d${Duration}s, $Peers distinct peers on one torrent, numwant=50, on $([Environment]::ProcessorCount) cores; load average before the runs: $loadBefore, after: $((Get-Content -LiteralPath /proc/loadavg -Raw).Trim())."

    # The deploy ledger: every host reports once (the ledger then holds PEERS entries), then the load.
    $env:MURDER_BENCH_HOSTS = $Peers
    $beforeLedger = Get-Rss $tracker.ProcessId
    $fill = Invoke-Wrk "http://127.0.0.1:$murderPort" 3 'report.lua'
    $ledger = Invoke-RestMethod "http://127.0.0.1:$murderPort/deploy?info_hash=$($torrent.InfoHash)&limit=1"
    if ($ledger.hosts -lt $Peers) { throw "After $($fill.Requests) reports the ledger holds $($ledger.hosts) hosts, not ${Peers}: raise -Duration or lower -Peers." }
    $perReport = 'new per report'
    $reports = foreach ($mode in @($keepAlive, $perReport)) {
        $cpuBefore = Get-CpuSeconds $tracker.ProcessId
        $run = Invoke-Wrk "http://127.0.0.1:$murderPort" $Duration $(if ($mode -eq $perReport) { 'report-close.lua' } else { 'report.lua' })
        $cpu = (Get-CpuSeconds $tracker.ProcessId) - $cpuBefore
        [pscustomobject]@{
            Tracker        = 'Murder'
            Connections    = $mode
            ReportsPerSec  = [math]::Round($run.Rate)
            CpuUsPerReport = [math]::Round($cpu * 1e6 / [math]::Max($run.Requests, 1), 1)
            Non2xx         = $run.Non2xx
            SocketErrors   = $run.SocketErrors
        }
    }

    $ledgerRss = Get-Rss $tracker.ProcessId
    $ledger = Invoke-RestMethod "http://127.0.0.1:$murderPort/deploy?info_hash=$($torrent.InfoHash)&limit=1"
    $reports | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host ("Deploy ledger: {0:N0} hosts, version {1:N0}; resident {2:N1} MB before the first report, {3:N1} MB after the load (+{4:N1} MB for the ledger; +{5:N1} MB over idle)." -f $ledger.hosts, $ledger.version, ($beforeLedger / 1MB), ($ledgerRss / 1MB), (($ledgerRss - $beforeLedger) / 1MB), (($ledgerRss - $idleRss) / 1MB))
    $reportClose = $reports | Where-Object { $_.Connections -eq $perReport }
    $share = ($Peers / 15 * $murderClose.CpuUsPerAnnounce + $Peers / 5 * $reportClose.CpuUsPerReport) / 1e6
    Write-Host ("$Peers hosts announcing every 15 s and reporting every 5 s (a new connection per request, CPU per request as measured): {0:N1}% of one core." -f ($share * 100))
    $results
    $reports
}
finally {
    if ($opentracker -and -not $opentracker.HasExited) { $opentracker.Kill(); $null = $opentracker.WaitForExit(5000) }
    Stop-MurderTracker -Port $murderPort -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item Env:MURDER_BENCH_INFOHASH, Env:MURDER_BENCH_PEERS, Env:MURDER_BENCH_CLOSE, Env:MURDER_BENCH_HOSTS -ErrorAction Ignore
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
