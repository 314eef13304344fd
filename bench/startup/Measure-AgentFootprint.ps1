#Requires -Version 7.4
<#
.SYNOPSIS
    The native agent against the managed one, side by side: start-up, idle and peak memory, CPU.
.DESCRIPTION
    Runs both agents of the built module (out/Murder: bin/linux-x64/murder-agent, and
    bin/Murder.Agent.dll on this machine's dotnet host) on loopback, alternating which goes first
    in each round so drift on a noisy machine hits both, and measures for each:
    - Tracker listening: from starting the process (Start-MurderTracker, as the module starts it)
      until its port accepts a connection.
    - Peer first announce: from starting the process (Invoke-MurderPeer as the module starts its
      transfer agent, with the same environment) until its first announce reaches a stand-in
      tracker this script listens with (which answers with no peers); the peer's port is checked to
      accept connections at that moment. CPU: the process's user + system time then (/proc, 10 ms ticks).
    - Idle seeder: resident memory (VmRSS) of a background seeder of a SizeMB artifact
      (Start-MurderSeeding with MURDER_BACKGROUND_HOST set to the variant) 5 s after it is ready.
    - Peer peak: the largest resident memory (GNU time %M) of a transfer agent downloading,
      verifying and extracting the SizeMB artifact from one seeder (the native one for both
      variants), and its CPU seconds per GB received.
    Prints one table (medians over the rounds) with the native / managed ratio, and the goals.
    Everything it starts is stopped, also on failure.
.EXAMPLE
    dotnet pwsh ./bench/startup/Measure-AgentFootprint.ps1 -Rounds 5 -SizeMB 256
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 50)] [int] $Rounds = 5,
    [ValidateRange(1, 4096)] [int] $SizeMB = 256,
    [string] $WorkPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'murder-footprint-bench')
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if (-not $IsLinux -or [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'X64') { throw 'The native agent exists for Linux x64 only.' }
if (-not (Test-Path /usr/bin/time)) { throw 'GNU time (/usr/bin/time) is needed: apt-get install time' }
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $root 'out/Murder/Murder.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { & (Join-Path $root 'build.ps1') -Task Build | Out-Host }
$bin = Join-Path (Split-Path $manifest) 'bin'
$native = Join-Path $bin 'linux-x64/murder-agent'
if (-not (Test-Path -LiteralPath $native)) { throw "No native agent at ${native}: build on Linux x64 without -NoNative." }
Import-Module $manifest -Force
$dotnet = [Murder.Core.Hosting.DotNetHost]::Find()
if (-not $dotnet) { throw 'No dotnet host with a .NET 8+ runtime for the managed agent.' }
$variants = [ordered]@{ native = @($native); managed = @($dotnet, (Join-Path $bin 'Murder.Agent.dll')) }

Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Path $WorkPath
$env:MURDER_STATE_DIR = Join-Path $WorkPath 'state'
$savedHost = $env:MURDER_BACKGROUND_HOST
$running = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$rows = [System.Collections.Generic.List[object]]::new()

function Get-FreePort {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start(); try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
}

function Start-Agent([string] $Variant, [string[]] $Arguments, [string] $TimeFile) {
    # As the module starts it: the transfer environment for both (the native agent ignores the JIT settings).
    $command = @($variants[$Variant])
    if ($TimeFile) { $command = @('/usr/bin/time', '-f', '%e %U %S %M', '-o', $TimeFile) + $command }
    $info = [System.Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($argument in @($command | Select-Object -Skip 1) + $Arguments) { $info.ArgumentList.Add($argument) }
    foreach ($variable in [Murder.Core.Hosting.DetachedProcess]::TransferEnvironment.GetEnumerator()) { $info.Environment[$variable.Key] = $variable.Value }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $running.Add($process)
    $process
}

function Stop-Agent([System.Diagnostics.Process] $Process) {
    if (-not $Process.HasExited) { $Process.Kill($true); $null = $Process.WaitForExit(10000) }
    $null = $running.Remove($Process)
}

function Get-CpuMilliseconds([int] $ProcessId) {
    # utime and stime, fields 14 and 15 of /proc/PID/stat (after the command name in parentheses), in 10 ms ticks.
    $stat = Get-Content -LiteralPath "/proc/$ProcessId/stat" -Raw
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    ([long] $fields[11] + [long] $fields[12]) * 10
}

function Get-StatusMegabytes([int] $ProcessId, [string] $Field) {
    $line = Get-Content -LiteralPath "/proc/$ProcessId/status" | Where-Object { $_ -like "${Field}:*" }
    [long] ($line -replace '\D', '') / 1024
}

function Test-Listening([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.Connect([System.Net.IPAddress]::Loopback, $Port); $true } catch { $false } finally { $client.Dispose() }
}

function Measure-TrackerListening([string] $Variant, [int] $Round) {
    $port = Get-FreePort
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $agent = Start-Agent $Variant @('Start-MurderTracker', '-Port', "$port", '-BindAddress', '127.0.0.1', '-TorrentDirectory', (Join-Path $WorkPath "torrents-$Variant-$Round"), '-Open', 'True')
    try {
        while (-not (Test-Listening $port)) {
            if ($agent.HasExited) { throw "The $Variant tracker exited: $($agent.StandardError.ReadToEnd())" }
            if ($clock.Elapsed.TotalSeconds -gt 60) { throw "The $Variant tracker did not listen within 60 s." }
            [System.Threading.Thread]::Sleep(1)
        }
        $elapsed = $clock.Elapsed.TotalMilliseconds
        [pscustomobject]@{ Milliseconds = $elapsed; CpuMilliseconds = Get-CpuMilliseconds $agent.Id; RssMB = Get-StatusMegabytes $agent.Id 'VmRSS' }
    }
    finally { Stop-Agent $agent }
}

# The stand-in tracker: accepts on its own thread and stamps each connection as it is accepted, so a
# deploy report the peer sends beside its announce (to the ledger, /report) delays neither stamp.
Add-Type -TypeDefinition @'
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

public sealed class AnnounceStandIn : IDisposable
{
    private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
    private long _announced;
    public readonly ManualResetEventSlim Announced = new ManualResetEventSlim();
    public int Reports;

    public AnnounceStandIn()
    {
        _listener.Start();
        new Thread(Accept) { IsBackground = true }.Start();
    }

    public int Port { get { return ((IPEndPoint)_listener.LocalEndpoint).Port; } }

    /// <summary>Stopwatch timestamp of the connection that carried the first announce since Reset.</summary>
    public long AnnouncedAt { get { return Interlocked.Read(ref _announced); } }

    public void Reset() { Interlocked.Exchange(ref _announced, 0); Reports = 0; Announced.Reset(); }

    private void Accept()
    {
        try
        {
            while (true)
            {
                TcpClient client = _listener.AcceptTcpClient();
                long at = Stopwatch.GetTimestamp();
                ThreadPool.QueueUserWorkItem(_ => Serve(client, at));
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private void Serve(TcpClient client, long at)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var buffer = new byte[8192];
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n"))
                {
                    int read = stream.Read(buffer, 0, buffer.Length);
                    if (read <= 0) { return; }
                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                bool announce = request.ToString().StartsWith("GET ", StringComparison.Ordinal) && request.ToString().Contains("announce?") && request.ToString().Contains("info_hash=");
                string body = announce ? "d8:intervali1800e5:peers0:e" : "d8:intervali15ee";
                byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.Length + "\r\nConnection: close\r\n\r\n" + body);
                stream.Write(answer, 0, answer.Length);
                if (announce) { Interlocked.CompareExchange(ref _announced, at, 0); Announced.Set(); } else { Interlocked.Increment(ref Reports); }
            }
            catch (System.IO.IOException) { }
        }
    }

    public void Dispose() { _listener.Stop(); }
}
'@

function Measure-FirstAnnounce([string] $Variant, [int] $Round, $Torrent, $Tracker) {
    $path = Join-Path $WorkPath "announce-$Variant-$Round"
    $port = Get-FreePort
    $Tracker.Reset()
    $started = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $agent = Start-Agent $Variant @('Invoke-MurderPeer', '-Tag', 'Small', '-TorrentPath', $Torrent.TorrentPath, '-TempPath', (Join-Path $path 'tmp'),
        '-DestinationPath', (Join-Path $path 'releases'), '-Port', "$port", '-SeedSeconds', '0', '-StallTimeoutSeconds', '60',
        '-StatusPath', (Join-Path $path 'status.json'), '-ParentProcessId', "$PID")
    try {
        if (-not $Tracker.Announced.Wait(60000)) { throw "The $Variant peer did not announce within 60 s: $(if ($agent.HasExited) { $agent.StandardError.ReadToEnd() })" }
        $cpu = Get-CpuMilliseconds $agent.Id
        $elapsed = ($Tracker.AnnouncedAt - $started) * 1000.0 / [System.Diagnostics.Stopwatch]::Frequency
        [pscustomobject]@{ Milliseconds = $elapsed; CpuMilliseconds = $cpu; PortListening = Test-Listening $port }
    }
    finally { Stop-Agent $agent }
}

function Measure-IdleSeeder([string] $Variant, $Torrent) {
    $env:MURDER_BACKGROUND_HOST = $Variant
    try {
        $seeder = Start-MurderSeeding -Tag Big -TorrentPath $Torrent.TorrentPath -ArtifactPath $Torrent.ArtifactPath
        Start-Sleep -Seconds 5
        [pscustomobject]@{ RssMB = Get-StatusMegabytes $seeder.ProcessId 'VmRSS'; PeakMB = Get-StatusMegabytes $seeder.ProcessId 'VmHWM' }
    }
    finally {
        Stop-MurderSeeding -Tag Big -WarningAction Ignore
        $env:MURDER_BACKGROUND_HOST = $savedHost
    }
}

function Measure-PeerPeak([string] $Variant, [int] $Round, $Torrent) {
    $path = Join-Path $WorkPath "peer-$Variant-$Round"
    $null = New-Item -ItemType Directory -Path $path -Force
    $timeFile = Join-Path $path 'time.txt'
    $agent = Start-Agent $Variant @('Invoke-MurderPeer', '-Tag', 'Big', '-TorrentPath', $Torrent.TorrentPath, '-TempPath', (Join-Path $path 'tmp'),
        '-DestinationPath', (Join-Path $path 'releases'), '-Port', '0', '-SeedSeconds', '0', '-StallTimeoutSeconds', '60',
        '-StatusPath', (Join-Path $path 'status.json'), '-ParentProcessId', "$PID") $timeFile
    try {
        if (-not $agent.WaitForExit(300000)) { throw "The $Variant peer did not finish within 300 s." }
        $status = Get-Content -LiteralPath (Join-Path $path 'status.json') -Raw | ConvertFrom-Json
        if (-not $status.Result) { throw "The $Variant peer failed: $($status.Message)" }
        $seconds, $user, $system, $maxKb = (Get-Content -LiteralPath $timeFile | Select-Object -Last 1) -split ' '
        [pscustomobject]@{ PeakMB = [double] $maxKb / 1024; Seconds = [double] $seconds; CpuPerGB = ([double] $user + [double] $system) / ($Torrent.Size / 1e9) }
    }
    finally {
        Stop-Agent $agent
        Remove-Item -LiteralPath $path -Recurse -Force -ErrorAction Ignore
    }
}

$trackerPort = Get-FreePort
$standIn = [AnnounceStandIn]::new()
try {
    foreach ($name in 'small', 'big') {
        $release = New-Item -ItemType Directory -Path (Join-Path $WorkPath "release-$name")
        $megabytes = if ($name -eq 'small') { 1 } else { $SizeMB }
        $bytes = [byte[]]::new(1MB)
        $file = [System.IO.File]::Create((Join-Path $release 'payload.bin'))
        try { for ($i = 0; $i -lt $megabytes; $i++) { [System.Random]::Shared.NextBytes($bytes); $file.Write($bytes, 0, $bytes.Length) } } finally { $file.Dispose() }
    }
    $small = New-MurderTorrent -Tag Small -Path (Join-Path $WorkPath 'release-small') -Tracker "127.0.0.1:$($standIn.Port)" -OutputDirectory (Join-Path $WorkPath 'seed-small')
    $tracker = Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open
    $big = New-MurderTorrent -Tag Big -Path (Join-Path $WorkPath 'release-big') -Tracker $tracker.Url -OutputDirectory (Join-Path $WorkPath 'seed-big')

    for ($round = 1; $round -le $Rounds; $round++) {
        $order = if ($round % 2) { @('native', 'managed') } else { @('managed', 'native') }
        foreach ($variant in $order) {
            $listening = Measure-TrackerListening $variant $round
            $announce = Measure-FirstAnnounce $variant $round $small $standIn
            $idle = Measure-IdleSeeder $variant $big
            $rows.Add([pscustomobject]@{ Round = $round; Variant = $variant; Listening = $listening; Announce = $announce; Idle = $idle })
        }
        # One seeder (the native one) serves every peer run, so only the peer differs.
        $env:MURDER_BACKGROUND_HOST = 'native'
        $null = Start-MurderSeeding -Tag Big -TorrentPath $big.TorrentPath -ArtifactPath $big.ArtifactPath
        $env:MURDER_BACKGROUND_HOST = $savedHost
        try {
            foreach ($variant in $order) {
                ($rows | Where-Object { $_.Round -eq $round -and $_.Variant -eq $variant }) | Add-Member -NotePropertyName Peer -NotePropertyValue (Measure-PeerPeak $variant $round $big)
            }
        }
        finally { Stop-MurderSeeding -Tag Big -WarningAction Ignore }
        Write-Host "round $round of $Rounds done"
    }
}
finally {
    foreach ($process in @($running)) { Stop-Agent $process }
    $env:MURDER_BACKGROUND_HOST = $savedHost
    Stop-MurderSeeding -All -WarningAction Ignore
    Stop-MurderTracker -Port $trackerPort -WarningAction Ignore
    $standIn.Dispose()
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[[int][Math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

$metrics = [ordered]@{
    'Tracker start to listening, ms'    = @{ Value = { $_.Listening.Milliseconds }; Goal = '' }
    'Tracker RSS at listening, MB'      = @{ Value = { $_.Listening.RssMB }; Goal = '' }
    'Peer start to first announce, ms'  = @{ Value = { $_.Announce.Milliseconds }; Goal = '<= 30' }
    'Peer CPU to first announce, ms'    = @{ Value = { $_.Announce.CpuMilliseconds }; Goal = '' }
    'Idle seeder RSS, MB'               = @{ Value = { $_.Idle.RssMB }; Goal = '<= 25' }
    'Seeder peak RSS (verifying), MB'   = @{ Value = { $_.Idle.PeakMB }; Goal = '' }
    'Peer peak RSS, MB'                 = @{ Value = { $_.Peer.PeakMB }; Goal = '<= 40' }
    'Peer run s (download, verify, extract)' = @{ Value = { $_.Peer.Seconds }; Goal = '' }
    'Peer CPU s per GB'                 = @{ Value = { $_.Peer.CpuPerGB }; Goal = '' }
}
$table = foreach ($metric in $metrics.Keys) {
    $value = $metrics[$metric].Value
    $nativeValue = Get-Median @($rows | Where-Object Variant -eq 'native' | ForEach-Object $value)
    $managedValue = Get-Median @($rows | Where-Object Variant -eq 'managed' | ForEach-Object $value)
    [pscustomobject]@{
        Metric           = $metric
        native           = [Math]::Round($nativeValue, 2)
        managed          = [Math]::Round($managedValue, 2)
        'native/managed' = if ($managedValue) { [Math]::Round($nativeValue / $managedValue, 3) } else { $null }
        Goal             = $metrics[$metric].Goal
    }
}
$listeningOk = @($rows | Where-Object { -not $_.Announce.PortListening }).Count -eq 0
Write-Host ("`n{0} rounds, artifact {1:N0} bytes ({2} MiB random), loopback, {3} CPUs, load average {4}; medians; peer port accepting at its first announce in every run: {5}" -f $Rounds, $big.Size, $SizeMB, [Environment]::ProcessorCount, (((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' '), $listeningOk)
$table | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore
