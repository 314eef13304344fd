#Requires -Version 7.4
<#
.SYNOPSIS
    How fast peer agents start transferring: IL-only assemblies against ReadyToRun ones, side by side.
.DESCRIPTION
    Publishes the agent twice (plain IL, and ReadyToRun for this machine's runtime identifier), then on
    loopback runs a tracker and one seeder from out/Murder and, for each round and variant, starts
    -Peers agents at once exactly as Invoke-MurderPeer starts its transfer agent (same command, same
    environment: DOTNET_TieredCompilation=0). It records each agent's first verified piece and whole
    artifact verified (from the moment the agents were launched) and its CPU seconds (GNU time), and
    prints one table with the ratios. Variants alternate (il, r2r, il, r2r, ...) so drift on a noisy
    machine hits both. Everything it starts is stopped, also on failure.
.EXAMPLE
    dotnet pwsh ./bench/startup/Measure-AgentStart.ps1 -Peers 8 -SizeMB 64 -Rounds 3
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 64)] [int] $Peers = 8,
    [ValidateRange(1, 4096)] [int] $SizeMB = 64,
    [ValidateRange(1, 20)] [int] $Rounds = 3,
    # Also run the IL agents with tiered compilation on.
    [switch] $Tiered,
    [string] $WorkPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'murder-start-bench')
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $root 'out/Murder/Murder.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { & (Join-Path $root 'build.ps1') -Task Build | Out-Host }
if (-not (Test-Path /usr/bin/time)) { throw 'GNU time (/usr/bin/time) is needed: apt-get install time' }

Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Path $WorkPath
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$agentProject = Join-Path $root 'src/Murder.Agent/Murder.Agent.csproj'
$variants = [ordered]@{ il = Join-Path $WorkPath 'il'; r2r = Join-Path $WorkPath 'r2r' }
foreach ($name in $variants.Keys) {
    $r2r = if ($name -eq 'r2r') { 'true' } else { 'false' }
    & dotnet publish $agentProject -c Release -r $rid --self-contained false "-p:PublishReadyToRun=$r2r" -o $variants[$name] --nologo -v q | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet publish ($name) failed" }
}
# The same IL with tiered compilation on (quick JIT first): how much of the start is JIT at all.
# And with tiered compilation, call counting from the start (hot methods optimized sooner).
if ($Tiered) { $variants['il-tiered'] = $variants['il']; $variants['r2r-tiered'] = $variants['r2r']; $variants['il-tiered-nodelay'] = $variants['il'] }

Import-Module $manifest -Force
$env:MURDER_STATE_DIR = Join-Path $WorkPath 'state'
$probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $probe.Start(); $trackerPort = $probe.LocalEndpoint.Port; $probe.Stop()
$running = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$rows = [System.Collections.Generic.List[object]]::new()
try {
    $release = New-Item -ItemType Directory -Path (Join-Path $WorkPath 'release')
    $bytes = [byte[]]::new(1MB)
    $file = [System.IO.File]::Create((Join-Path $release 'payload.bin'))
    try { for ($i = 0; $i -lt $SizeMB; $i++) { [System.Random]::Shared.NextBytes($bytes); $file.Write($bytes, 0, $bytes.Length) } } finally { $file.Dispose() }
    $tracker = Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open
    $torrent = New-MurderTorrent -Tag Start -Path $release -Tracker $tracker.Url -OutputDirectory (Join-Path $WorkPath 'seeder')
    $null = Start-MurderSeeding -Tag Start -TorrentPath $torrent.TorrentPath -ArtifactPath $torrent.ArtifactPath

    for ($round = 1; $round -le $Rounds; $round++) {
        foreach ($name in $variants.Keys) {
            $runPath = Join-Path $WorkPath "run-$round-$name"
            $launched = [DateTime]::UtcNow
            $agents = foreach ($index in 1..$Peers) {
                $peerPath = Join-Path $runPath "peer$index"
                $null = New-Item -ItemType Directory -Path $peerPath -Force
                $info = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/time')
                foreach ($argument in @('-f', '%U %S', '-o', (Join-Path $peerPath 'time.txt'), 'dotnet', (Join-Path $variants[$name] 'Murder.Agent.dll'), 'Invoke-MurderPeer',
                        '-Tag', 'Start', '-TorrentPath', $torrent.TorrentPath, '-TempPath', (Join-Path $peerPath 'tmp'), '-DestinationPath', (Join-Path $peerPath 'releases'),
                        '-Port', '0', '-SeedSeconds', '0', '-StallTimeoutSeconds', '60', '-StatusPath', (Join-Path $peerPath 'status.json'), '-ParentProcessId', "$PID")) {
                    $info.ArgumentList.Add($argument)
                }
                $info.Environment['DOTNET_TieredCompilation'] = if ($name -like '*-tiered*') { '1' } else { '0' }
                if ($name -like '*-nodelay') { $info.Environment['DOTNET_TC_CallCountingDelayMs'] = '0' }
                $info.RedirectStandardOutput = $true
                $info.RedirectStandardError = $true
                $process = [System.Diagnostics.Process]::Start($info)
                $running.Add($process)
                [pscustomobject]@{ Process = $process; Path = $peerPath }
            }
            foreach ($agent in $agents) {
                if (-not $agent.Process.WaitForExit(180000)) { throw "An agent of round $round ($name) did not finish within 180 s." }
            }
            foreach ($agent in $agents) {
                $status = Get-Content -LiteralPath (Join-Path $agent.Path 'status.json') -Raw | ConvertFrom-Json
                if (-not $status.Result) { throw "An agent of round $round ($name) failed: $($status.Message)" }
                $user, $system = (Get-Content -LiteralPath (Join-Path $agent.Path 'time.txt') | Select-Object -Last 1) -split ' '
                $rows.Add([pscustomobject]@{
                        Round      = $round
                        Variant    = $name
                        FirstPiece = ([DateTime]$status.Result.FirstPieceAtUtc).ToUniversalTime() - $launched
                        Verified   = ([DateTime]$status.Result.VerifiedAtUtc).ToUniversalTime() - $launched
                        Cpu        = [double]$user + [double]$system
                    })
            }
            $running.Clear()
        }
    }
}
finally {
    foreach ($process in $running) { if (-not $process.HasExited) { $process.Kill($true) } }
    Stop-MurderSeeding -All -WarningAction Ignore
    Stop-MurderTracker -Port $trackerPort -WarningAction Ignore
}

Write-Host ("`n{0} agents at once, {1} MiB, loopback, {2} rounds ({3} CPUs)" -f $Peers, $SizeMB, $Rounds, [Environment]::ProcessorCount)
$summary = foreach ($name in $variants.Keys) {
    $mine = @($rows | Where-Object Variant -eq $name)
    $perRound = $mine | Group-Object Round | ForEach-Object {
        [pscustomobject]@{
            FirstMax = ($_.Group | ForEach-Object { $_.FirstPiece.TotalSeconds } | Measure-Object -Maximum).Maximum
            LastMax  = ($_.Group | ForEach-Object { $_.Verified.TotalSeconds } | Measure-Object -Maximum).Maximum
            Cpu      = ($_.Group | Measure-Object Cpu -Sum).Sum / $Peers
        }
    }
    [pscustomobject]@{
        Variant                 = $name
        'First piece, slowest s' = ($perRound | Measure-Object FirstMax -Average).Average
        'All verified s'        = ($perRound | Measure-Object LastMax -Average).Average
        'CPU s per agent'       = ($perRound | Measure-Object Cpu -Average).Average
    }
}
$summary | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
$il = $summary | Where-Object Variant -eq 'il'
$r2r = $summary | Where-Object Variant -eq 'r2r'
Write-Host ('r2r / il: first piece {0:N3}, all verified {1:N3}, CPU {2:N3}' -f ($r2r.'First piece, slowest s' / $il.'First piece, slowest s'), ($r2r.'All verified s' / $il.'All verified s'), ($r2r.'CPU s per agent' / $il.'CPU s per agent'))
