# Shared helpers for the Pester suite. Every test imports the BUILT module (out/Murder) through
# $env:MURDER_MODULE_PATH, which tools/Invoke-PesterTests.ps1 sets.

function Import-MurderUnderTest {
    if (-not $env:MURDER_MODULE_PATH) { throw 'MURDER_MODULE_PATH is not set: run the tests with ./build.ps1 -Task Test.' }
    Import-Module $env:MURDER_MODULE_PATH -Force -Global -ErrorAction Stop
}

function New-TestDirectory {
    param([string] $Prefix = 'murder-pester')
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ("$Prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    New-Item -ItemType Directory -Path $path -Force
}

function New-SampleTree {
    # A small release: nested directories, text and binary files, an empty directory, and the .git
    # entries Murder leaves out.
    param([Parameter(Mandatory)] [string] $Path, [int] $BinaryBytes = 300000)
    $null = New-Item -ItemType Directory -Path (Join-Path $Path 'app/bin'), (Join-Path $Path 'empty'), (Join-Path $Path '.git') -Force
    Set-Content -LiteralPath (Join-Path $Path 'app/bin/run.sh') -Value "#!/bin/sh`necho deployed"
    Set-Content -LiteralPath (Join-Path $Path 'app/config.json') -Value '{ "name": "sample" }'
    Set-Content -LiteralPath (Join-Path $Path 'README.md') -Value ('hello ' * 1000)
    Set-Content -LiteralPath (Join-Path $Path '.gitignore') -Value 'out/'
    Set-Content -LiteralPath (Join-Path $Path '.git/HEAD') -Value 'ref: refs/heads/main'
    $bytes = [byte[]]::new($BinaryBytes)
    [System.Random]::new(42).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes((Join-Path $Path 'app/data.bin'), $bytes)
}

function Get-DebianPython {
    # python3-libtorrent installs for Debian's interpreter; a pyenv python3 earlier on PATH lacks it.
    if (Test-Path /usr/bin/python3) { '/usr/bin/python3' } else { $null }
}

function Test-PythonLibtorrent {
    $python = Get-DebianPython
    if (-not $python) { return $false }
    & $python -c 'import libtorrent' 2>$null
    $LASTEXITCODE -eq 0
}

function Get-FreeTcpPort {
    # A port free on loopback right now (the listener is closed again at once).
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Compare-DirectoryTree {
    # Relative path => SHA-256 of every file under a directory, .git* entries left out (as Murder packs).
    param([Parameter(Mandatory)] [string] $Path)
    $table = [ordered]@{}
    Get-ChildItem -LiteralPath $Path -Recurse -File -Force |
        Where-Object { $_.FullName -notmatch '[\\/]\.git' } |
        Sort-Object FullName |
        ForEach-Object { $table[[System.IO.Path]::GetRelativePath($Path, $_.FullName).Replace('\', '/')] = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
    $table
}

function Assert-PeerResult {
    # Each Invoke-MurderPeer result holds the whole torrent, and its destination the same files as the source.
    param([Parameter(Mandatory)] [object[]] $Results, [Parameter(Mandatory)] $Torrent, [Parameter(Mandatory)] [string] $Source)
    $expected = Compare-DirectoryTree $Source
    foreach ($result in $Results) {
        $result.Bytes | Should -Be $Torrent.Size
        $result.InfoHash | Should -Be $Torrent.InfoHash
        $actual = Compare-DirectoryTree $result.Destination
        ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',')
        foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because "$key in $($result.Destination)" }
    }
    $expected
}

function Stop-MurderTestProcesses {
    # Teardown for tests that start Murder's background processes in their own state directory.
    param([int] $TrackerPort)
    Stop-MurderPeering -All -WarningAction Ignore -ErrorAction Continue
    Stop-MurderSeeding -All -WarningAction Ignore -ErrorAction Continue
    if ($TrackerPort) { Stop-MurderTracker -Port $TrackerPort -WarningAction Ignore -ErrorAction Continue }
}

function Get-PwshCommand {
    # The command that starts this same PowerShell: under `dotnet pwsh` the process is the dotnet
    # muxer and PowerShell is pwsh.dll in $PSHOME.
    $exe = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @($exe, (Join-Path $PSHOME 'pwsh.dll')) } else { @($exe) }
}

function ConvertTo-PercentEncoded {
    # Percent-encodes every byte of a hexadecimal string (an info-hash) for an announce URL.
    param([Parameter(Mandatory)] [string] $Hex)
    -join ([System.Convert]::FromHexString($Hex) | ForEach-Object { '%{0:X2}' -f $_ })
}

function Wait-Until {
    # Polls a condition until it holds; throws after the timeout (a bound, not a speed assertion).
    param([Parameter(Mandatory)] [scriptblock] $Condition, [int] $TimeoutSeconds = 60, [string] $Because = 'the condition')
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds 200
    }
}

function Test-ProcessAlive {
    # Whether a process runs, a zombie counting as gone: a background process whose parent exited is
    # re-parented to PID 1, and where that init does not reap (this VM, some containers) a killed
    # process lingers as a zombie that Get-Process still lists.
    param([Parameter(Mandatory)] [int] $Id)
    $process = Get-Process -Id $Id -ErrorAction Ignore
    if (-not $process) { return $false }
    if ($IsLinux) {
        # Gone between the two reads (reaped) counts as gone too.
        $stat = Get-Content -LiteralPath "/proc/$Id/stat" -Raw -ErrorAction Ignore
        if (-not $stat -or $stat.Substring($stat.LastIndexOf(')') + 2, 1) -in 'Z', 'X') { return $false }
    }
    $true
}

Export-ModuleMember -Function *
