# The benchmark's Murder seeder: what Start-MurderSeeding -Foreground does (verify, then seed with the
# default swarm settings), plus a JSON file with the swarm's counters when it stops, so the benchmark
# knows exactly how many payload bytes the seeder uploaded.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TorrentPath,
    [Parameter(Mandatory)] [string] $ArtifactPath,
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $StopFile,
    [int] $TimeoutSeconds = 900
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$none = [System.Threading.CancellationToken]::None
$torrent = [Murder.Core.MetaInfo.MetaInfoReader]::Load($TorrentPath)
$store = [Murder.Core.Storage.FilePieceStore]::OpenForReading($ArtifactPath, $torrent.TotalLength)
$have = [Murder.Core.Storage.PieceChecker]::CheckAsync($torrent, $store, $null, $none).GetAwaiter().GetResult()
if (-not $have.AllSet) { throw "The artifact does not match the torrent." }
$tracker = [Murder.Core.Swarm.HttpSwarmTracker]::For($torrent)
$settings = [Murder.Core.Swarm.SwarmSettings]@{ ListenPort = $Port }
$swarm = [Murder.Core.Swarm.TorrentSwarm]::Start($torrent, $store, $have, $settings, $tracker)
[Console]::Out.WriteLine("seeding on $($swarm.LocalEndPoint)")
$deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
try {
    while (-not (Test-Path -LiteralPath $StopFile) -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 200
    }
}
finally {
    $statistics = $swarm.GetStatistics()
    [ordered]@{ engine = 'murder'; role = 'seed'; uploaded = $statistics.Uploaded; received = $statistics.Downloaded } |
        ConvertTo-Json | Set-Content -LiteralPath $ResultPath
    $swarm.DisposeAsync().AsTask().GetAwaiter().GetResult()
    $store.DisposeAsync().AsTask().GetAwaiter().GetResult()
}
