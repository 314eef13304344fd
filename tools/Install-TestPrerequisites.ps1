<#
.SYNOPSIS
    Installs the programs the tests drive (real BitTorrent clients) from Debian's packages.
.DESCRIPTION
    Only on Linux, only as root, only when apt-get exists, and only what is missing. Elsewhere it
    says what is missing; the tests that need a missing program skip and name it.
#>
[CmdletBinding()]
param()
$ErrorActionPreference = 'Stop'

# Each prerequisite: the Debian package and a check that it is usable.
$prerequisites = @(
    @{ Package = 'transmission-cli'; Test = { [bool](Get-Command transmission-show -ErrorAction Ignore) } }
    @{ Package = 'aria2'; Test = { [bool](Get-Command aria2c -ErrorAction Ignore) } }
    # The fleet tests: an sshd per test host, the ssh client for PSRemoting over SSH, ip and unshare.
    @{ Package = 'openssh-server'; Test = { Test-Path /usr/sbin/sshd } }
    @{ Package = 'openssh-client'; Test = { [bool](Get-Command ssh -ErrorAction Ignore) -and [bool](Get-Command ssh-keygen -ErrorAction Ignore) } }
    @{ Package = 'iproute2'; Test = { [bool](Get-Command ip -ErrorAction Ignore) } }
    @{ Package = 'util-linux'; Test = { [bool](Get-Command unshare -ErrorAction Ignore) } }
    @{ Package = 'python3-libtorrent'; Test = { (Test-Path /usr/bin/python3) -and $(& /usr/bin/python3 -c 'import libtorrent' 2>$null; $LASTEXITCODE -eq 0) } }
    # The tracker client's interop test and the tracker benchmark's reference (bench/tracker).
    @{ Package = 'opentracker'; Test = { [bool](Get-Command opentracker -ErrorAction Ignore) } }
    # build.ps1 links the native agent with clang or gcc against zlib (it installs them too when it builds as root).
    @{ Package = 'clang'; Test = { [bool](Get-Command clang -ErrorAction Ignore) -or [bool](Get-Command gcc -ErrorAction Ignore) } }
    @{ Package = 'zlib1g-dev'; Test = { Test-Path /usr/include/zlib.h } }
    # Load generator of the tracker benchmark (bench/tracker) and of the live page's 10,000-host test.
    @{ Package = 'wrk'; Test = { [bool](Get-Command wrk -ErrorAction Ignore) } }
    # The live page's browser test (tests/browser): Debian's Chromium driven by npm playwright-core.
    @{ Package = 'chromium'; Test = { Test-Path /usr/bin/chromium } }
    @{ Package = 'nodejs'; Test = { [bool](Get-Command node -ErrorAction Ignore) } }
    @{ Package = 'npm'; Test = { [bool](Get-Command npm -ErrorAction Ignore) } }
)

# npm packages of the browser test, exactly as tests/browser/package-lock.json pins them.
function Install-BrowserTestPackages {
    $folder = Join-Path (Split-Path -Parent $PSScriptRoot) 'tests/browser'
    if (Test-Path -LiteralPath (Join-Path $folder 'node_modules/playwright-core/package.json')) { return }
    if (-not (Get-Command npm -ErrorAction Ignore)) { Write-Host 'Test prerequisites: npm is missing; the browser test will skip.'; return }
    Write-Host 'Installing the browser test''s npm packages (tests/browser, npm ci)'
    Push-Location -LiteralPath $folder
    try { & npm ci --no-audit --no-fund --loglevel=error; if ($LASTEXITCODE -ne 0) { Write-Warning "npm ci exited with $LASTEXITCODE; the browser test will skip." } }
    finally { Pop-Location }
}

if (-not $IsLinux) {
    Write-Host 'Test prerequisites: not on Linux; the interop tests that need Debian packages will skip and say why.'
    return
}

$missing = @($prerequisites | Where-Object { -not (& $_.Test) } | ForEach-Object { $_.Package })
if ($missing.Count -eq 0) {
    Write-Host 'Test prerequisites: all present.'
    Install-BrowserTestPackages
    return
}

$isRoot = (& id -u) -eq '0'
if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction Ignore)) {
    Write-Host "Test prerequisites missing: $($missing -join ', '). Install them (apt-get install $($missing -join ' ')) or run the tests as root; the tests that need them will skip."
    Install-BrowserTestPackages
    return
}

Write-Host "Installing test prerequisites: $($missing -join ', ')"
$env:DEBIAN_FRONTEND = 'noninteractive'
& apt-get update -qq
if ($LASTEXITCODE -ne 0) { Write-Warning "apt-get update exited with $LASTEXITCODE" }
& apt-get install -y -qq --no-install-recommends @missing
if ($LASTEXITCODE -ne 0) { Write-Warning "apt-get install exited with $LASTEXITCODE; the tests that need $($missing -join ', ') will skip." }
Install-BrowserTestPackages
