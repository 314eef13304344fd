#Requires -Version 7.4
<#
.SYNOPSIS
    The control plane at scale without hosts: what one poll of a deploy costs the control machine as
    the fleet grows, with the same number of changes per poll.
.DESCRIPTION
    For each fleet size it starts a real tracker on loopback (in this process, from out/Murder), fills
    its deploy ledger with that many simulated hosts reporting over HTTP (downloading), then runs
    -Polls rounds in which -Changes hosts report a new stage and the follower (FleetFollower, the
    class Invoke-MurderDeploy and Wait-MurderDeploy use) reads the ledger incrementally (since its last
    version), applies the page, looks for lost hosts and builds its progress. It prints, per size, the
    median time of one such poll, the median time of a full read (since=0, what a non-incremental
    follower would pay every poll), and their ratios against the smallest size. A flat poll column is
    the goal: the poll costs what changed, not the fleet's size. Timings on a shared machine are noisy;
    compare the columns within one run.
.EXAMPLE
    dotnet pwsh ./bench/fleet/Measure-LedgerFollow.ps1 -Hosts 1000, 5000, 10000 -Changes 200 -Polls 20
#>
[CmdletBinding()]
param(
    [ValidateRange(10, 10000)] [int[]] $Hosts = @(1000, 5000, 10000),
    [ValidateRange(1, 10000)] [int] $Changes = 200,
    [ValidateRange(3, 1000)] [int] $Polls = 20
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $root 'out/Murder/Murder.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { & (Join-Path $root 'build.ps1') -Task Build | Out-Host }
Import-Module $manifest -Force

function Get-Median([double[]] $Values) { $sorted = $Values | Sort-Object; $sorted[[int][math]::Floor($sorted.Count / 2)] }

$rows = foreach ($size in $Hosts) {
    $options = [Murder.Core.Tracker.TrackerOptions]::new()
    $server = [Murder.Core.Tracker.Server.TrackerServer]::new($options, [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0), $null, $null, $null)
    $bytes = [byte[]]::new(20); [System.Random]::new($size).NextBytes($bytes)
    $infoHash = [Murder.Core.MetaInfo.InfoHash]::new($bytes)
    $server.Register($infoHash, 'Bench.tgz')
    $server.Start()
    $stop = [System.Threading.CancellationTokenSource]::new()
    $running = $server.RunAsync($stop.Token)
    try {
        $announce = [Uri]"http://127.0.0.1:$($server.LocalEndPoint.Port)/announce"
        $reporter = [Murder.Core.Deployment.DeployReporter]::new($announce, $infoHash, $null, 'peer', $null, $null)
        $ledger = [Murder.Core.Fleet.DeployLedgerClient]::ForAnnounce($announce)
        $none = [System.Threading.CancellationToken]::None
        $follower = [Murder.Core.Fleet.FleetFollower]::new('Bench', [TimeSpan]::FromHours(1), $false, $null, 1000000)
        $now = [DateTime]::UtcNow
        for ($i = 0; $i -lt $size; $i++) { $follower.Expect("host$i"); $follower.Launched("host$i", $now) }
        $report = [Murder.Core.Deployment.DeployReport]@{ Stage = 'Downloading'; Downloaded = 1; Left = 999999; Rate = 1000 }
        for ($i = 0; $i -lt $size; $i++) {
            if (-not $reporter.ReportAsync($report, "host$i", $none).GetAwaiter().GetResult()) { throw "A report was refused (host$i)." }
        }
        $page = $ledger.ReadAsync($infoHash.ToHex(), 0, 10000, $none).GetAwaiter().GetResult()
        $null = $follower.Apply($page, [DateTime]::UtcNow)
        $since = $page.Next
        $pollMs = [System.Collections.Generic.List[double]]::new()
        $fullMs = [System.Collections.Generic.List[double]]::new()
        $clock = [System.Diagnostics.Stopwatch]::new()
        for ($round = 0; $round -lt $Polls; $round++) {
            $step = [Murder.Core.Deployment.DeployReport]@{ Stage = 'Downloading'; Downloaded = 2 + $round; Left = 999990 - $round; Rate = 2000 }
            for ($c = 0; $c -lt $Changes; $c++) {
                $null = $reporter.ReportAsync($step, "host$((($round * $Changes) + $c) % $size)", $none).GetAwaiter().GetResult()
            }
            $clock.Restart()
            $page = $ledger.ReadAsync($infoHash.ToHex(), $since, 10000, $none).GetAwaiter().GetResult()
            $null = $follower.Apply($page, [DateTime]::UtcNow)
            $null = $follower.ExpireLost([DateTime]::UtcNow)
            $null = $follower.Progress()
            $clock.Stop()
            $pollMs.Add($clock.Elapsed.TotalMilliseconds)
            if ($page.Entries.Count -ne [math]::Min($Changes, $size)) { throw "Expected $Changes changed entries, read $($page.Entries.Count)." }
            $since = $page.Next
            $clock.Restart()
            $null = $ledger.ReadAsync($infoHash.ToHex(), 0, 10000, $none).GetAwaiter().GetResult()
            $clock.Stop()
            $fullMs.Add($clock.Elapsed.TotalMilliseconds)
        }
        [pscustomobject]@{ Hosts = $size; PollMs = Get-Median $pollMs; FullReadMs = Get-Median $fullMs; Entries = $Changes }
    }
    finally {
        $stop.Cancel()
        try { $running.Wait(10000) | Out-Null } catch { }
        $server.Dispose()
        if ($reporter) { $reporter.Dispose() }
        if ($ledger) { $ledger.Dispose() }
    }
}

$base = $rows[0]
$rows | ForEach-Object {
    [pscustomobject]@{
        Hosts                  = $_.Hosts
        'Changes per poll'     = $_.Entries
        'Poll ms (median)'     = '{0:N2}' -f $_.PollMs
        'Poll x smallest'      = '{0:N2}' -f ($_.PollMs / $base.PollMs)
        'Full read ms (median)' = '{0:N2}' -f $_.FullReadMs
        'Full read x smallest' = '{0:N2}' -f ($_.FullReadMs / $base.FullReadMs)
    }
} | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
