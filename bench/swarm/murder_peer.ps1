# The benchmark's Murder peer: Invoke-MurderPeer as a deploy runs it, then a JSON result with the
# times the benchmark needs (module imported, first piece and whole artifact verified; Unix seconds).
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TorrentPath,
    [Parameter(Mandatory)] [string] $HostPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [int] $SeedSeconds = 600
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$engineStart = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
$result = Invoke-MurderPeer -Tag Bench -TorrentPath $TorrentPath -DestinationPath (Join-Path $HostPath 'dest') -TempPath (Join-Path $HostPath 'temp') -SeedSeconds $SeedSeconds -Confirm:$false
function Unix($time) { if ($null -eq $time) { $null } else { ([DateTimeOffset]$time).ToUnixTimeMilliseconds() / 1000.0 } }
[ordered]@{
    engine        = 'murder'
    role          = 'peer'
    startedAt     = $engineStart
    firstPieceAt  = Unix $result.FirstPieceAtUtc
    verifiedAt    = Unix $result.VerifiedAtUtc
    received      = $result.BytesReceived
    wasted        = $result.BytesWasted
    fromSeeders   = $result.BytesFromSeeders
    fromPeers     = $result.BytesFromPeers
    peersSeen     = $result.PeersSeen
    extractSeconds = $result.ExtractDuration.TotalSeconds
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
