#Requires -Version 7.4
<#
.SYNOPSIS
    Builds and tests Murder for PowerShell.
.DESCRIPTION
    Build: compiles the solution and lays out the importable module at out/Murder (manifest, script
    module, format file, assemblies, MAML help generated from docs/en-US) with, on a Linux x64 build
    machine, the native agent (NativeAOT) in bin/linux-x64/murder-agent. Linking it needs a C
    toolchain (clang or gcc) and zlib1g-dev, installed from Debian when missing and running as root.
    The assemblies are precompiled (ReadyToRun) for the runtime of the PowerShell running the build,
    on its OS and architecture (-NoReadyToRun leaves them IL only).
    Test:  Build, then installs the test prerequisites it can (Debian packages, as root), runs the
    xunit suite and the Pester suite (in a child pwsh that imports out/Murder), and ends with one
    line 'N passed, N failed, N skipped'. Exits non-zero when anything failed.
    Clean: removes out/ and the projects' bin/obj folders.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tag filter, e.g. -PesterTag Interop
    [string[]] $PesterTag,

    # Skip installing Debian packages for the tests.
    [switch] $NoPrerequisites,

    # Skip the native agent (bin/linux-x64/murder-agent); hosts then run the managed one.
    [switch] $NoNative,

    # Leave the module's assemblies as IL only (not precompiled for this PowerShell's runtime).
    [switch] $NoReadyToRun
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'Murder'
$resultsDir = Join-Path $out 'TestResults'

function Invoke-Native {
    param([string] $FilePath, [string[]] $Arguments)
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($Arguments -join ' ') exited with $LASTEXITCODE" }
}

function Get-PwshCommand {
    # The command that starts this same PowerShell: under `dotnet pwsh` (the local tool) the process
    # is the dotnet muxer and PowerShell is pwsh.dll in $PSHOME.
    $exe = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @($exe, (Join-Path $PSHOME 'pwsh.dll')) } else { @($exe) }
}

function Invoke-Pwsh {
    param([string[]] $Arguments)
    $command = @(Get-PwshCommand)
    $prefix = @($command | Select-Object -Skip 1)
    & $command[0] @prefix @Arguments
}

function Get-Version {
    [xml] $props = Get-Content -LiteralPath (Join-Path $root 'Directory.Build.props') -Raw
    $version = $props.Project.PropertyGroup | ForEach-Object { $_['VersionPrefix'] } | Where-Object { $_ } | Select-Object -First 1
    if (-not $version) { throw 'No <VersionPrefix> in Directory.Build.props.' }
    $version.InnerText
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'Murder.PowerShell.sln'), '-c', $Configuration, '--nologo', '-v', 'minimal')

    if (Test-Path -LiteralPath $moduleOut) { Remove-Item -LiteralPath $moduleOut -Recurse -Force }
    $bin = New-Item -ItemType Directory -Path (Join-Path $moduleOut 'bin') -Force
    $cmdletBin = Join-Path $root "src/Murder.Cmdlets/bin/$Configuration/net8.0"
    Get-ChildItem -LiteralPath $cmdletBin -File |
        Where-Object { $_.Extension -in '.dll', '.pdb' -and $_.Name -notlike 'System.Management.Automation*' } |
        Copy-Item -Destination $bin
    # The background agent (trackers, seeders) runs from the same folder, on the same Murder.Core.
    $agentBin = Join-Path $root "src/Murder.Agent/bin/$Configuration/net8.0"
    Get-ChildItem -LiteralPath $agentBin -File -Filter 'Murder.Agent.*' |
        Where-Object { $_.Extension -in '.dll', '.pdb', '.json' } |
        Copy-Item -Destination $bin
    if (-not $NoNative) { Publish-NativeAgent -Bin $bin }
    if (-not $NoReadyToRun) { Publish-ReadyToRun -Bin $bin }

    $version = Get-Version
    $manifest = Get-Content -LiteralPath (Join-Path $root 'Murder.psd1') -Raw
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'"
    Set-Content -LiteralPath (Join-Path $moduleOut 'Murder.psd1') -Value $manifest -NoNewline
    Copy-Item -LiteralPath (Join-Path $root 'Murder.psm1'), (Join-Path $root 'Murder.Format.ps1xml') -Destination $moduleOut

    # MAML help from docs/en-US, checked against the cmdlets' real parameters (in a child pwsh so
    # this session never loads the assemblies it may rebuild).
    Invoke-Pwsh @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tools/New-MamlHelp.ps1'),
        '-ModulePath', (Join-Path $moduleOut 'Murder.psd1'),
        '-DocsPath', (Join-Path $root 'docs/en-US'),
        '-OutputPath', (Join-Path $moduleOut 'en-US/Murder.Cmdlets.dll-Help.xml'))
    if ($LASTEXITCODE -ne 0) { throw 'Generating MAML help failed (see above).' }
    Write-Host "Built module $version at $moduleOut"
}

function Install-NativeToolchain {
    # NativeAOT links with clang or gcc against zlib (libz.so); Debian's packages when missing.
    $hasCompiler = [bool](Get-Command clang -ErrorAction Ignore) -or [bool](Get-Command gcc -ErrorAction Ignore)
    $hasZlib = Test-Path -LiteralPath /usr/include/zlib.h
    if ($hasCompiler -and $hasZlib) { return }
    $missing = @(if (-not $hasCompiler) { 'clang' }) + @(if (-not $hasZlib) { 'zlib1g-dev' })
    if ((& id -u) -ne '0' -or -not (Get-Command apt-get -ErrorAction Ignore)) {
        throw "The native agent needs $($missing -join ' and ') to link: apt-get install $($missing -join ' '), or build with -NoNative (hosts then run the managed agent)."
    }
    Write-Host "Installing the native agent's build prerequisites: $($missing -join ', ')"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update', '-qq')
    Invoke-Native apt-get (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
}

function Publish-NativeAgent {
    # The agent as one native executable (NativeAOT) for Linux x64 hosts: no .NET runtime there,
    # milliseconds to start. Trim and AOT warnings are errors. NativeAOT cannot cross-compile to
    # another OS, so other build machines leave it out (their module runs the managed agent).
    param([string] $Bin)
    $architecture = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
    if (-not $IsLinux -or $architecture -ne 'X64') {
        Write-Host "Native agent: not built on $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription) $architecture (Linux x64 only); the module runs the managed agent."
        return
    }
    Install-NativeToolchain
    $publish = Join-Path $out 'native/linux-x64'
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/Murder.Agent/Murder.Agent.csproj'), '-c', $Configuration, '-r', 'linux-x64',
        '-p:MurderNative=true', '-warnaserror', '-o', $publish, '--nologo', '-v', 'minimal')
    $target = New-Item -ItemType Directory -Path (Join-Path $Bin 'linux-x64') -Force
    Copy-Item -LiteralPath (Join-Path $publish 'Murder.Agent') -Destination (Join-Path $target 'murder-agent')
}

function Publish-ReadyToRun {
    # Replaces the module's assemblies with ReadyToRun images for the runtime of this PowerShell on
    # this OS and architecture: a fresh session otherwise JIT-compiles about 1,800 methods of Murder,
    # SSH.NET and BouncyCastle (its key exchange at unoptimised tier 0) before its first host is
    # started. Other runtimes and platforms ignore the precompiled code and JIT the IL, as before.
    param([string] $Bin)
    $major = [Environment]::Version.Major
    $sdkMajor = [int](& dotnet --version).Split('.')[0]
    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    if ($sdkMajor -lt $major) {
        Write-Host "ReadyToRun: skipped (the .NET SDK $sdkMajor cannot target this PowerShell's runtime, .NET $major); the module runs as IL."
        return
    }
    $publish = Join-Path $out "readytorun/$rid"
    if (Test-Path -LiteralPath $publish) { Remove-Item -LiteralPath $publish -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $root 'tools/ReadyToRun/ReadyToRun.csproj'), '-c', $Configuration, '-r', $rid,
        "-p:ReadyToRunFramework=net$major.0", "-p:ModuleBin=$Bin", "-p:PwshHome=$PSHOME", '-o', $publish, '--nologo', '-v', 'minimal')
    $compiled = 0
    foreach ($assembly in Get-ChildItem -LiteralPath $Bin -Filter '*.dll' -File) {
        $image = Join-Path $publish $assembly.Name
        if (Test-Path -LiteralPath $image) { Copy-Item -LiteralPath $image -Destination $assembly.FullName -Force; $compiled++ }
    }
    Write-Host "ReadyToRun: $compiled assemblies precompiled for .NET $major on $rid."
}

function Get-TrxCounts {
    param([string] $Path)
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $counters = $trx.TestRun.ResultSummary.Counters
    $namespaces = [System.Xml.XmlNamespaceManager]::new($trx.NameTable)
    $namespaces.AddNamespace('t', 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010')
    $failedNames = @(foreach ($result in $trx.SelectNodes("//t:UnitTestResult[@outcome!='Passed' and @outcome!='NotExecuted']", $namespaces)) {
            $message = $result.SelectSingleNode('t:Output/t:ErrorInfo/t:Message', $namespaces)
            $first = if ($message) { ($message.InnerText -split "`n" | Select-Object -First 1).Trim() } else { $result.outcome }
            "$($result.testName): $first"
        })
    [pscustomobject]@{
        Passed      = [int] $counters.passed
        Failed      = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        Skipped     = [int] $counters.notExecuted
        FailedNames = $failedNames
    }
}

function Invoke-Test {
    Invoke-Build
    if (-not $NoPrerequisites) {
        & (Join-Path $root 'tools/Install-TestPrerequisites.ps1')
    }

    if (Test-Path -LiteralPath $resultsDir) { Remove-Item -LiteralPath $resultsDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $resultsDir -Force
    $failures = [System.Collections.Generic.List[string]]::new()

    # 1. xunit
    $trxPath = Join-Path $resultsDir 'core.trx'
    & dotnet test (Join-Path $root 'tests/Murder.Core.Tests/Murder.Core.Tests.csproj') -c $Configuration --no-build --nologo `
        --logger "trx;LogFileName=$trxPath" --logger 'console;verbosity=normal' --results-directory $resultsDir
    $xunitExit = $LASTEXITCODE
    $core = if (Test-Path -LiteralPath $trxPath) { Get-TrxCounts $trxPath } else { $null }
    if (-not $core) {
        $failures.Add('xunit produced no results')
        $core = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    elseif ($xunitExit -ne 0 -and $core.Failed -eq 0) {
        $failures.Add("dotnet test exited with $xunitExit")
        $core.Failed = 1
    }

    # 2. Pester, in a child pwsh that imports the built module
    $pesterJson = Join-Path $resultsDir 'pester.json'
    $pesterArgs = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tools/Invoke-PesterTests.ps1'),
        '-ModulePath', (Join-Path $moduleOut 'Murder.psd1'), '-TestPath', (Join-Path $root 'tests/Pester'), '-ResultPath', $pesterJson)
    if ($PesterTag) { $pesterArgs += @('-Tag', ($PesterTag -join ',')) }
    Invoke-Pwsh $pesterArgs
    $pester = if (Test-Path -LiteralPath $pesterJson) { Get-Content -LiteralPath $pesterJson -Raw | ConvertFrom-Json } else { $null }
    if (-not $pester) {
        $failures.Add('Pester produced no results')
        $pester = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }

    $passed = $core.Passed + $pester.Passed
    $failed = $core.Failed + $pester.Failed
    $skipped = $core.Skipped + $pester.Skipped
    Write-Host ''
    Write-Host "xunit:  $($core.Passed) passed, $($core.Failed) failed, $($core.Skipped) skipped"
    Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    # Repeated here so that the last lines of a long log say what failed.
    foreach ($name in @($core.PSObject.Properties['FailedNames']?.Value) + @($pester.PSObject.Properties['FailedNames']?.Value)) {
        if ($name) { Write-Host "failed: $name" }
    }
    foreach ($failure in $failures) { Write-Host "error: $failure" }
    # The closing line CI reads.
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $failures.Count -gt 0) { exit 1 }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Clean' {
        foreach ($path in @($out) + (Get-ChildItem -Path (Join-Path $root 'src'), (Join-Path $root 'tests'), (Join-Path $root 'tools') -Directory -Recurse -Include bin, obj).FullName) {
            if ($path -and (Test-Path -LiteralPath $path)) { Remove-Item -LiteralPath $path -Recurse -Force }
        }
    }
}
