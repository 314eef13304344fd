#Requires -Version 7.4
<#
.SYNOPSIS
    Murder's main job on this machine, from a fresh clone: package examples/sample-release for a deploy.
.DESCRIPTION
    Builds the module if out/Murder is missing, then runs New-MurderTorrent on the sample release and
    shows the artifact and torrent it wrote. As the swarm engine lands, this script grows into a full
    local transfer (tracker, seeder and peers on loopback).
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./examples/Invoke-LocalDeploy.ps1
#>
[CmdletBinding()]
param(
    [string] $Tag = ('Sample' + (Get-Date -Format 'yyyyMMddHHmmss')),
    [string] $Path = (Join-Path $PSScriptRoot 'sample-release'),
    [string] $OutputDirectory = (Join-Path ([System.IO.Path]::GetTempPath()) 'murder-example')
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$manifest = Join-Path $root 'out/Murder/Murder.psd1'
if (-not (Test-Path -LiteralPath $manifest)) {
    Write-Host 'Building the module first (./build.ps1 -Task Build) ...'
    & (Join-Path $root 'build.ps1') -Task Build | Out-Host
}
Import-Module $manifest -Force

$result = New-MurderTorrent -Tag $Tag -Path $Path -Tracker 127.0.0.1:8998 -OutputDirectory $OutputDirectory
Write-Host "Artifact: $($result.ArtifactPath) ($($result.FileCount) files, $($result.SourceBytes) bytes packed into $($result.Size))"
Write-Host "Torrent:  $($result.TorrentPath) (info-hash $($result.InfoHash))"
$result
