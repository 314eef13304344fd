<#
.SYNOPSIS
    Runs the Pester suite against the built module and writes the counts as JSON.
.DESCRIPTION
    Pester 5.7.1 comes from NuGet (tools/TestTools.proj restores it into the NuGet cache; the
    package carries the module under tools/). Tests find the module under test in $env:MURDER_MODULE_PATH.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Tag
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot

& dotnet restore (Join-Path $PSScriptRoot 'TestTools.proj') --nologo -v quiet | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'Could not restore Pester 5.7.1 from NuGet (tools/TestTools.proj).' }
$cache = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
$pesterManifest = Join-Path $cache.Trim() 'pester/5.7.1/tools/Pester.psd1'
if (-not (Test-Path -LiteralPath $pesterManifest)) { throw "Pester 5.7.1 is not at $pesterManifest." }
Import-Module $pesterManifest -Force

$env:MURDER_MODULE_PATH = (Resolve-Path -LiteralPath $ModulePath).Path
$env:MURDER_REPO_ROOT = $root

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.CIFormat = 'None'
if ($Tag) { $config.Filter.Tag = $Tag -split ',' }
$result = Invoke-Pester -Configuration $config

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount
    # Names and first message lines of what failed, for the closing summary.
    FailedNames = @(
        @($result.Failed | ForEach-Object { "$($_.ExpandedPath): $(@($_.ErrorRecord | Select-Object -First 1) -join '' -split "`n" | Select-Object -First 1)" }) +
        @($result.FailedBlocks | ForEach-Object { "$($_.ExpandedPath) (block setup or teardown)" }) +
        @($result.FailedContainers | ForEach-Object { "$($_.Item) (file)" }))
} | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath $ResultPath
