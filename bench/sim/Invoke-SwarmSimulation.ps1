<#
.SYNOPSIS
Simulates a Murder deploy at fleet scale: N peers, one seeder and the real tracker, in virtual time.

.DESCRIPTION
Builds and runs bench/sim/Murder.Sim: every host is Murder's own swarm engine (the SwarmEngine that
TorrentSwarm runs over sockets) and the tracker is Murder's TrackerEngine, joined by a modelled
network instead of sockets. Each host has an upload and a download capacity of C (a share of slow
hosts at C/SlowFactor; payload moves at C x WireEfficiency, the framing of TCP at MTU 1500 taken
off), every message takes the latency, blocks queue at their sender's upload and
their receiver's download. Blocks and pieces are events, not bytes, so 10,000 peers fit in memory.
Peers start uniformly over the launch spread; a share of them dies mid-transfer; the seeder can die
once the peers hold a full copy between them. The same seed and parameters give the same run.

For each run it prints N, F, C and T_min (the fluid bound for the fast peers), completion time from
each peer's own launch over T_min (p50, p90, p99, last), the seeder's upload over F, what the peers
received over N*F, the tracker's announces per second, and the simulation's own wall time and peak
memory. The last line of each run is machine-readable:
sim N=10000 F=256MiB C=10000Mbit p50=1.05 p90=1.07 p99=1.22 last=1.37 seeder=1.03 received=1.001 ...

.EXAMPLE
dotnet pwsh ./bench/sim/Invoke-SwarmSimulation.ps1 -Peers 10000 -SizeMB 256 -RateMbit 10000 -BlockKiB 256 -PieceKiB 256

10,000 peers in about 11 minutes: blocks of 256 KiB (Murder sends 16 KiB) and pieces of 256 KiB
(New-MurderTorrent would choose 128 KiB for 256 MiB, which needs blocks of 128 KiB: twice the wall
time at N=2,000, so over 20 minutes here). Piece length matters in a flash crowd: see
bench/sim/results.md.

.EXAMPLE
dotnet pwsh ./bench/sim/Invoke-SwarmSimulation.ps1 -Peers 100, 1000 -SizeMB 1024 -SlowShare 0.1 -Seed 1, 2
#>
[CmdletBinding()]
param(
    # One run per value (and per seed).
    [ValidateRange(1, 60000)] [int[]] $Peers = @(100),
    [ValidateRange(1, 65536)] [int] $SizeMB = 1024,
    [ValidateRange(0.001, 1000000)] [double] $RateMbit = 10000,
    # One-way, between any two hosts and to the tracker.
    [ValidateRange(0, 10000)] [double] $LatencyMs = 0.2,
    # The share of the line rate that carries payload (1448/1514: TCP at MTU 1500, framing counted).
    [ValidateRange(0.01, 1)] [double] $WireEfficiency = 1448 / 1514,
    # The share of peers (0-1) at a tenth of the capacity (see -SlowFactor).
    [ValidateRange(0, 1)] [double] $SlowShare = 0,
    [ValidateRange(1, 1000)] [double] $SlowFactor = 10,
    # The share of peers (0-1) killed mid-transfer.
    [ValidateRange(0, 0.99)] [double] $DieShare = 0,
    # The seeder dies once the peers hold a full copy between them.
    [switch] $SeederDies,
    # Peers start uniformly over this many seconds; the seeder at 0.
    [ValidateRange(0, 3600)] [double] $LaunchSpreadSeconds = 5,
    [int[]] $Seed = @(1),
    # The request size between peers (16 KiB on the wire today).
    [ValidateRange(1, 4096)] [int] $BlockKiB = 16,
    # 0: as New-MurderTorrent chooses (about 2,048 pieces).
    [ValidateRange(0, 65536)] [int] $PieceKiB = 0,
    # A host's connections take turns on its upload, a block each (TCP flows); without it one
    # queue in the order blocks were requested (the default: the model within 15% of the
    # namespace benchmark at N=16).
    [switch] $FairUplink,
    # The origin seeds plainly (a bitfield to everyone) instead of super-seeding, for comparison.
    [switch] $NoSuperSeed,
    # Virtual seconds after which a run stops even with peers unfinished.
    [ValidateRange(1, 86400)] [double] $TimeLimitSeconds = 1800
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

$project = Join-Path $PSScriptRoot 'Murder.Sim/Murder.Sim.csproj'
$output = Join-Path ([System.IO.Path]::GetTempPath()) 'murder-sim-bin'
& dotnet build $project -c Release -o $output --nologo -v quiet | Out-Null
if ($LASTEXITCODE -ne 0) { throw "Building $project failed: run 'dotnet build $project' to see why." }
$simulator = Join-Path $output 'Murder.Sim.dll'

$invariant = [System.Globalization.CultureInfo]::InvariantCulture
foreach ($n in $Peers) {
    foreach ($s in $Seed) {
        $arguments = @(
            $simulator,
            '--peers', $n, '--size-mb', $SizeMB, '--rate-mbit', $RateMbit.ToString($invariant),
            '--latency-ms', $LatencyMs.ToString($invariant), '--wire-efficiency', $WireEfficiency.ToString('R', $invariant), '--slow-share', $SlowShare.ToString($invariant),
            '--slow-factor', $SlowFactor.ToString($invariant), '--die-share', $DieShare.ToString($invariant),
            '--spread-s', $LaunchSpreadSeconds.ToString($invariant), '--seed', $s, '--block-kib', $BlockKiB,
            '--piece-kib', $PieceKiB, '--limit-s', $TimeLimitSeconds.ToString($invariant))
        if ($SeederDies) { $arguments += '--seeder-dies' }
        if ($FairUplink) { $arguments += '--fair-uplink' }
        if ($NoSuperSeed) { $arguments += '--no-super-seed' }
        # Progress lines go to stderr (shown as they come); the results to stdout.
        & dotnet @arguments
        if ($LASTEXITCODE -ne 0) { throw "The simulation of $n peers failed (exit code $LASTEXITCODE)." }
        ''
    }
}
