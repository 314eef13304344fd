# The benchmark's Murder deploy as a fleet runs it: one control session runs Invoke-MurderPeer
# -ComputerName against every peer host over SSH (each host's agent is started detached and does the
# work; no PowerShell starts on the peers; the results come from the tracker's deploy ledger). Writes the moment the command began (start.json beside this script's
# result directory) and, as each host finishes, that host's result.json with the times the
# benchmark needs (Unix seconds).
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ConfigPath,
    [Parameter(Mandatory)] [string] $TorrentPath,
    # name=address,name=address,...
    [Parameter(Mandatory)] [string] $Hosts,
    # name=directory,... where each host's result.json goes
    [Parameter(Mandatory)] [string] $ResultDirectories,
    [Parameter(Mandatory)] [string] $StartPath,
    [int] $SeedSeconds = 600
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$byAddress = @{}
foreach ($pair in $Hosts -split ',') { $name, $address = $pair -split '=', 2; $byAddress[$address] = $name }
$directories = @{}
foreach ($pair in $ResultDirectories -split ',') { $name, $directory = $pair -split '=', 2; $directories[$name] = $directory }
function Unix($time) { if ($null -eq $time) { $null } else { ([DateTimeOffset]$time).ToUnixTimeMilliseconds() / 1000.0 } }

$start = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
@{ startedAt = $start } | ConvertTo-Json | Set-Content -LiteralPath $StartPath
Invoke-MurderPeer -ConfigPath $ConfigPath -ComputerName @($byAddress.Keys) -Tag Bench -DestinationPath '/srv/releases' -TempPath '/srv/tmp' `
    -TorrentPath $TorrentPath -SeedSeconds $SeedSeconds -Confirm:$false -ErrorAction Continue | ForEach-Object {
    $name = $byAddress[$_.ComputerName]
    # The results come from the tracker's deploy ledger: the host's first report (its agent running)
    # and its report of the release in place (seeding), which is after extraction. The ledger carries
    # no first-piece time nor byte counts; those figures stay empty for this engine.
    [ordered]@{
        engine        = 'murder'
        role          = 'peer'
        status        = "$($_.Status)"
        error         = $_.Error
        startedAt     = Unix $_.FirstReportUtc
        firstPieceAt  = $null
        verifiedAt    = Unix $_.LastReportUtc
        received      = $null
        wasted        = $null
        fromSeeders   = $null
        fromPeers     = $null
        hostSeconds   = $_.Duration.TotalSeconds
    } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $directories[$name] 'result.json')
}
