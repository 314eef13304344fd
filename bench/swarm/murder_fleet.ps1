# The benchmark's Murder deploy as a fleet runs it: one control session runs Invoke-MurderPeer
# -ComputerName against every peer host over SSH (each host's agent does the work; no PowerShell
# starts on the peers). Writes the moment the command began (start.json beside this script's
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
    $verified = Unix $_.VerifiedAtUtc
    [ordered]@{
        engine        = 'murder'
        role          = 'peer'
        status        = "$($_.Status)"
        error         = $_.Error
        # The host's swarm began DownloadDuration before the last piece was verified.
        startedAt     = if ($null -ne $verified) { $verified - $_.DownloadDuration.TotalSeconds } else { $null }
        firstPieceAt  = Unix $_.FirstPieceAtUtc
        verifiedAt    = $verified
        received      = $_.BytesReceived
        wasted        = $_.BytesWasted
        fromSeeders   = $_.BytesFromSeeders
        fromPeers     = $_.BytesFromPeers
        hostSeconds   = $_.Duration.TotalSeconds
    } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $directories[$name] 'result.json')
}
