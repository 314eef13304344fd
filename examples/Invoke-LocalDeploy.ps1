#Requires -Version 7.4
<#
.SYNOPSIS
    Murder's main job on this machine, from a fresh clone: a real BitTorrent deploy on loopback.
.DESCRIPTION
    Builds the module if out/Murder is missing, then runs a whole Murder transfer on this machine:
    a tracker (the default one, serving registered torrents only: New-MurderTorrent registers the
    torrent with it), the sample release packed into TAG.tgz with its torrent, a seeder, and -PeerCount
    peers, each its own process, downloading through the swarm and extracting into
    DESTINATION/peerN/TAG. It prints each peer's result, checks every extracted file against the
    source, and stops everything it started (also on failure). Murder's state (process records,
    logs) goes to a directory of its own under the work directory.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./examples/Invoke-LocalDeploy.ps1
.EXAMPLE
    dotnet pwsh ./examples/Invoke-LocalDeploy.ps1 -Path ~/my-release -PeerCount 8
#>
[CmdletBinding()]
param(
    [string] $Tag = ('Sample' + (Get-Date -Format 'yyyyMMddHHmmss')),
    [string] $Path = (Join-Path $PSScriptRoot 'sample-release'),
    [ValidateRange(1, 64)]
    [int] $PeerCount = 4,
    [string] $WorkPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'murder-example')
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$manifest = Join-Path $root 'out/Murder/Murder.psd1'
if (-not (Test-Path -LiteralPath $manifest)) {
    Write-Host 'Building the module first (./build.ps1 -Task Build) ...'
    & (Join-Path $root 'build.ps1') -Task Build | Out-Host
}
Import-Module $manifest -Force

Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Path $WorkPath
$env:MURDER_STATE_DIR = Join-Path $WorkPath 'state'
$probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()

try {
    $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
    Write-Host "Tracker:  $($tracker.Url) (process $($tracker.ProcessId))"
    $torrent = New-MurderTorrent -Tag $Tag -Path $Path -Tracker $tracker.Url -OutputDirectory (Join-Path $WorkPath 'seeder')
    Write-Host "Artifact: $($torrent.ArtifactPath), $($torrent.Size) bytes, $($torrent.PieceCount) pieces, info-hash $($torrent.InfoHash)"
    $seeder = Start-MurderSeeding -Tag $Tag -TorrentPath $torrent.TorrentPath -ArtifactPath $torrent.ArtifactPath
    Write-Host "Seeder:   port $($seeder.Port) (process $($seeder.ProcessId))"

    Write-Host "Starting $PeerCount peers, each in its own process ..."
    $jobs = foreach ($index in 1..$PeerCount) {
        Start-Job -ArgumentList $manifest, $Tag, $torrent.TorrentPath, (Join-Path $WorkPath "peer$index") -ScriptBlock {
            param($module, $tag, $torrentPath, $peerHome)
            Import-Module $module
            Invoke-MurderPeer -Tag $tag -DestinationPath (Join-Path $peerHome 'releases') -TorrentPath $torrentPath -TempPath (Join-Path $peerHome 'tmp') -SeedSeconds 10
        }
    }
    $results = @($jobs | Wait-Job -Timeout 300 | Receive-Job)
    $jobs | Remove-Job -Force
    $results | Format-Table | Out-Host

    $expected = Get-ChildItem -LiteralPath $Path -Recurse -File -Force | Where-Object { $_.FullName -notmatch '[\\/]\.git' }
    $bad = 0
    foreach ($result in $results) {
        foreach ($file in $expected) {
            $copy = Join-Path $result.Destination ([System.IO.Path]::GetRelativePath($Path, $file.FullName))
            if (-not (Test-Path -LiteralPath $copy) -or (Get-FileHash -LiteralPath $copy).Hash -ne (Get-FileHash -LiteralPath $file.FullName).Hash) { $bad++ }
        }
    }
    if ($results.Count -ne $PeerCount -or $bad -gt 0) { throw "$($results.Count) of $PeerCount peers finished; $bad files differ." }
    Write-Host "All $PeerCount peers hold identical copies of the $($expected.Count) files."
}
finally {
    Stop-MurderPeering -All -WarningAction Ignore
    Stop-MurderSeeding -All -WarningAction Ignore
    Stop-MurderTracker -Port $port -WarningAction Ignore
}
