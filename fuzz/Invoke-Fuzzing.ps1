#Requires -Version 7.4
<#
.SYNOPSIS
    Fuzzes Murder's parsers with AFL++ and SharpFuzz for a fixed time per target.
.DESCRIPTION
    Builds fuzz/Murder.Fuzz into out/fuzz/bin, instruments Murder.Core.dll there with the sharpfuzz
    tool (pinned in .config/dotnet-tools.json), then runs afl-fuzz (Debian package afl++, installed
    when missing and running as root) on each target for -Seconds, seeded from fuzz/corpus/TARGET.
    Prints per target: executions, paths (AFL's corpus count), crashes and hangs. Crashing and
    hanging inputs are copied to out/fuzz/findings/TARGET; with -SaveFindings also into
    tests/Murder.Core.Tests/FuzzRegressions/TARGET, where the xunit suite replays them.
    Every afl-fuzz run stops by itself (-V, with a hard timeout behind it); AFL's working
    directories and any temporary extraction roots left by killed runs are removed at the end.
    Exits 1 when a target found a crash or a hang.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./fuzz/Invoke-Fuzzing.ps1 -Seconds 30
.EXAMPLE
    dotnet pwsh ./fuzz/Invoke-Fuzzing.ps1 -Target bencode, peerwire -Seconds 120 -SaveFindings
#>
[CmdletBinding()]
param(
    # Seconds of fuzzing per target.
    [ValidateRange(5, 86400)]
    [int] $Seconds = 60,

    # Targets to run (default: all).
    [ValidateSet('bencode', 'metainfo', 'tracker', 'peerwire', 'extract', 'safepath')]
    [string[]] $Target = @('bencode', 'metainfo', 'tracker', 'peerwire', 'extract', 'safepath'),

    # Milliseconds one input may take before AFL counts it as a hang.
    [ValidateRange(100, 60000)]
    [int] $TimeoutMilliseconds = 2000,

    # Also copy crashing and hanging inputs into the test suite's regression folders.
    [switch] $SaveFindings
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path -Parent $PSScriptRoot
$work = Join-Path $root 'out/fuzz'
$bin = Join-Path $work 'bin'
$started = Get-Date

function Invoke-Native {
    param([string] $FilePath, [string[]] $Arguments)
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($Arguments -join ' ') exited with $LASTEXITCODE" }
}

function Install-Afl {
    if (Get-Command afl-fuzz -ErrorAction Ignore) { return }
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
    if (-not ($isRoot -and (Get-Command apt-get -ErrorAction Ignore))) {
        throw 'afl-fuzz is not installed. Install the Debian package afl++ (apt-get install afl++) and run again.'
    }

    Write-Host 'Installing afl++ ...'
    Invoke-Native apt-get @('update', '-qq')
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('install', '-y', '-qq', 'afl++')
}

function Read-FuzzerStats {
    param([string] $Path)
    $stats = @{}
    if (Test-Path -LiteralPath $Path) {
        foreach ($line in Get-Content -LiteralPath $Path) {
            $name, $value = $line -split '\s*:\s*', 2
            if ($name) { $stats[$name.Trim()] = "$value".Trim() }
        }
    }

    $stats
}

function Get-Stat {
    param([hashtable] $Stats, [string[]] $Names)
    foreach ($name in $Names) { if ($Stats.ContainsKey($name)) { return [long] $Stats[$name] } }
    0
}

if (-not $IsLinux) { throw 'Fuzzing needs Linux (afl-fuzz).' }
Install-Afl

# Build and instrument. Only Murder.Core is instrumented: coverage of the parsers guides AFL.
Push-Location $root
try { Invoke-Native dotnet @('tool', 'restore') } finally { Pop-Location }
if (Test-Path -LiteralPath $bin) { Remove-Item -LiteralPath $bin -Recurse -Force }
Invoke-Native dotnet @('build', (Join-Path $root 'fuzz/Murder.Fuzz/Murder.Fuzz.csproj'), '-c', 'Release', '--nologo', '-v', 'quiet', '-o', $bin)
Push-Location $root
try { Invoke-Native dotnet @('sharpfuzz', (Join-Path $bin 'Murder.Core.dll')) } finally { Pop-Location }

$dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
$harness = Join-Path $bin 'Murder.Fuzz.dll'
# SharpFuzz runs the harness as a .NET fork server, not an AFL-compiled binary; the machine is
# shared, so AFL must not pin cores or demand a CPU governor or core_pattern.
$aflEnvironment = @{
    AFL_SKIP_BIN_CHECK                      = '1'
    AFL_NO_UI                               = '1'
    AFL_SKIP_CPUFREQ                        = '1'
    AFL_NO_AFFINITY                         = '1'
    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES   = '1'
    AFL_FORKSRV_INIT_TMOUT                  = '60000'
    AFL_SKIP_CRASHES                        = '1'
}
$saved = @{}
foreach ($name in $aflEnvironment.Keys) {
    $saved[$name] = [Environment]::GetEnvironmentVariable($name)
    [Environment]::SetEnvironmentVariable($name, $aflEnvironment[$name])
}

$results = [System.Collections.Generic.List[object]]::new()
try {
    foreach ($name in $Target) {
        $corpus = Join-Path $root "fuzz/corpus/$name"
        $output = Join-Path $work "afl/$name"
        $findings = Join-Path $work "findings/$name"
        foreach ($directory in $output, $findings) {
            if (Test-Path -LiteralPath $directory) { Remove-Item -LiteralPath $directory -Recurse -Force }
        }

        New-Item -ItemType Directory -Path $findings, (Split-Path -Parent $output) -Force | Out-Null
        Write-Host "Fuzzing $name for $Seconds s ..."
        $log = Join-Path $work "$name.log"
        # -V stops afl-fuzz after the given time; timeout(1) is the backstop should it not.
        $arguments = @('--signal=INT', '--kill-after=30', "$($Seconds + 120)", 'afl-fuzz',
            '-i', $corpus, '-o', $output, '-V', "$Seconds", '-t', "$TimeoutMilliseconds", '-m', 'none',
            '--', $dotnet, $harness, $name)
        & timeout @arguments *> $log
        $exit = $LASTEXITCODE

        $stats = Read-FuzzerStats (Join-Path $output 'default/fuzzer_stats')
        if ($stats.Count -eq 0) {
            Write-Warning "afl-fuzz produced no statistics for $name (exit $exit); see $log"
        }

        foreach ($kind in 'crashes', 'hangs') {
            $directory = Join-Path $output "default/$kind"
            if (Test-Path -LiteralPath $directory) {
                Get-ChildItem -LiteralPath $directory -File | Where-Object Name -ne 'README.txt' | ForEach-Object {
                    $hash = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA1).Hash.ToLowerInvariant().Substring(0, 16)
                    Copy-Item -LiteralPath $_.FullName -Destination (Join-Path $findings "$kind-$hash")
                    if ($SaveFindings) {
                        $regressions = Join-Path $root "tests/Murder.Core.Tests/FuzzRegressions/$name"
                        New-Item -ItemType Directory -Path $regressions -Force | Out-Null
                        Copy-Item -LiteralPath $_.FullName -Destination (Join-Path $regressions "$kind-$hash")
                    }
                }
            }
        }

        $results.Add([pscustomobject]@{
            Target     = $name
            Executions = Get-Stat $stats 'execs_done'
            PerSecond  = [math]::Round([double](Get-Stat $stats 'execs_done') / [math]::Max(1, (Get-Stat $stats 'run_time')), 1)
            Paths      = Get-Stat $stats 'corpus_count', 'paths_total'
            Crashes    = Get-Stat $stats 'saved_crashes', 'unique_crashes'
            Hangs      = Get-Stat $stats 'saved_hangs', 'unique_hangs'
            ExitCode   = $exit
        })
    }
}
finally {
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    # AFL's queues are large and rebuilt each run; crashes and hangs were copied out above.
    $afl = Join-Path $work 'afl'
    if (Test-Path -LiteralPath $afl) { Remove-Item -LiteralPath $afl -Recurse -Force }
    # The extract target removes its temporary root after every input, except when AFL kills it mid-run.
    Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Directory -Filter 'murder-fuzz-*' -ErrorAction Ignore |
        Where-Object CreationTime -ge $started |
        Remove-Item -Recurse -Force -ErrorAction Continue
}

$results | Format-Table -AutoSize | Out-String | Write-Host
$found = ($results | Measure-Object -Property Crashes, Hangs -Sum | Measure-Object -Property Sum -Sum).Sum
if ($found -gt 0) {
    # The instrumented Murder.Core.dll only runs under afl-fuzz; replay with a plain build.
    Write-Host "Crashing and hanging inputs are in $(Join-Path $work 'findings'). Replay one with: dotnet run --project fuzz/Murder.Fuzz -c Release -- TARGET --replay FILE"
    exit 1
}
