# The native agent: Murder.Agent compiled ahead of time (NativeAOT) into the module's
# bin/linux-x64/murder-agent, which Linux x64 machines run for trackers, seeders and peers by
# default, with no .NET runtime. These tests start it from the built module (out/Murder) and run a
# whole transfer with it on loopback; BackgroundHost.Tests.ps1 keeps the managed agent tested.
BeforeDiscovery {
    $script:skipReason = if (-not $IsLinux -or [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -ne 'X64') {
        'the native agent is built for Linux x64 only; elsewhere the module runs the managed agent'
    }
    if ($skipReason) { Write-Host "    Native agent tests skipped: $skipReason" }
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-native'
    $script:savedState = $env:MURDER_STATE_DIR
    $script:savedHost = $env:MURDER_BACKGROUND_HOST
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $env:MURDER_BACKGROUND_HOST = $null
    $script:native = Join-Path (Split-Path $env:MURDER_MODULE_PATH) 'bin/linux-x64/murder-agent'

    function Get-Executable([int] $ProcessId) { (Get-Item -LiteralPath "/proc/$ProcessId/exe").Target }
    function Get-ResidentMegabytes([int] $ProcessId) {
        [int] ((Get-Content -LiteralPath "/proc/$ProcessId/status" | Where-Object { $_ -like 'VmRSS:*' }) -replace '\D', '') / 1024
    }
}
AfterAll {
    Stop-MurderPeering -All -WarningAction Ignore -ErrorAction Continue
    Stop-MurderSeeding -All -WarningAction Ignore -ErrorAction Continue
    Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'tracker-*.json' -ErrorAction Ignore |
        ForEach-Object { Stop-MurderTracker -Port (Get-Content $_ -Raw | ConvertFrom-Json).Port -WarningAction Ignore }
    Get-Job | Remove-Job -Force -ErrorAction Ignore
    $env:MURDER_BACKGROUND_HOST = $savedHost
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'The native agent' -Tag Agent -Skip:([bool] $skipReason) {
    It 'is in the built module: one executable that needs no .NET runtime' {
        Test-Path -LiteralPath $native -PathType Leaf | Should -BeTrue
        ([IO.File]::GetUnixFileMode($native) -band [IO.UnixFileMode]::UserExecute) | Should -Not -Be 0
        $header = [byte[]]::new(4)
        $stream = [IO.File]::OpenRead($native)
        try { $null = $stream.Read($header, 0, 4) } finally { $stream.Dispose() }
        [Text.Encoding]::ASCII.GetString($header, 1, 3) | Should -Be 'ELF'
        # Started with no dotnet on PATH and no DOTNET_ROOT, it still answers (here: with its error line).
        $output = & /usr/bin/env -i "PATH=/usr/bin:/bin" $native 'Remove-Item' '-Path' '/' 2>&1
        $LASTEXITCODE | Should -Be 1
        ($output | Out-String) | Should -Match 'MURDER-ERROR AgentCommandUnknown InvalidArgument'
        if (Get-Command ldd -ErrorAction Ignore) { (& ldd $native | Out-String) | Should -Not -Match 'coreclr|hostfxr|libstdc' }
    }

    It 'runs the background tracker by default on Linux x64, small' {
        $port = Get-FreeTcpPort
        $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Open
        try {
            Get-Executable $tracker.ProcessId | Should -Be $native
            (Invoke-WebRequest -Uri "http://127.0.0.1:$port/" -UseBasicParsing).Content | Should -Match 'Murder tracker'
            # The managed agent idles at about 45 MB here, a pwsh host at over 100 MB.
            Get-ResidentMegabytes $tracker.ProcessId | Should -BeLessThan 40
            Get-Content -LiteralPath $tracker.LogPath -Raw | Should -Match 'Murder tracker listening on 127\.0\.0\.1'
        }
        finally { Stop-MurderTracker -Port $port -WarningAction SilentlyContinue }
        Test-ProcessAlive $tracker.ProcessId | Should -BeFalse
        Test-Path -LiteralPath $tracker.StatePath | Should -BeFalse
    }

    It 'is the one MURDER_BACKGROUND_HOST=native asks for, and managed still forces the dll' {
        $ports = @(Get-FreeTcpPort)
        do { $second = Get-FreeTcpPort } while ($second -eq $ports[0])
        $ports += $second
        try {
            $env:MURDER_BACKGROUND_HOST = 'native'
            $tracker = Start-MurderTracker -Port $ports[0] -BindAddress 127.0.0.1 -Open
            Get-Executable $tracker.ProcessId | Should -Be $native
            $env:MURDER_BACKGROUND_HOST = 'managed'
            $tracker = Start-MurderTracker -Port $ports[1] -BindAddress 127.0.0.1 -Open
            Get-Executable $tracker.ProcessId | Should -Not -Be $native
            ((Get-Content -LiteralPath "/proc/$($tracker.ProcessId)/cmdline" -Raw) -split "`0") | Should -Contain (Join-Path (Split-Path $native -Parent) '../Murder.Agent.dll' | Resolve-Path).Path
        }
        finally {
            $env:MURDER_BACKGROUND_HOST = $null
            foreach ($port in $ports) { Stop-MurderTracker -Port $port -WarningAction SilentlyContinue }
        }
    }

    It 'runs a whole transfer: tracker, seeder and four peers, each a native agent, on loopback' {
        $port = Get-FreeTcpPort
        $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Open
        $source = Join-Path $work 'src'
        New-SampleTree -Path $source -BinaryBytes 4MB
        $made = New-MurderTorrent -Tag Native4 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'seed') -PieceLength 65536
        $seeder = Start-MurderSeeding -Tag Native4 -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath
        Get-Executable $seeder.ProcessId | Should -Be $native
        $jobs = foreach ($index in 1..4) {
            Start-Job -ArgumentList $env:MURDER_MODULE_PATH, $made.TorrentPath, (Join-Path $work "dest$index"), (Join-Path $work "temp$index") -ScriptBlock {
                param($module, $torrentPath, $destination, $temp)
                Import-Module $module
                Invoke-MurderPeer -Tag Native4 -DestinationPath $destination -TorrentPath $torrentPath -TempPath $temp -SeedSeconds 60 -Confirm:$false
            }
        }
        $null = $jobs | Wait-Job -Timeout 240
        $results = @($jobs | Receive-Job -ErrorVariable peerErrors)
        $peerErrors | Should -BeNullOrEmpty
        $results.Count | Should -Be 4
        $null = Assert-PeerResult -Results $results -Torrent $made -Source $source
        # Each peer's transfer ran in a native agent, which keeps seeding from the same process.
        $lingering = @(Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'peer-Native4-*.json' | ForEach-Object { Get-Content $_ -Raw | ConvertFrom-Json })
        $lingering.Count | Should -Be 4
        foreach ($peer in $lingering) {
            Get-Executable $peer.ProcessId | Should -Be $native
            Get-Content -LiteralPath "/proc/$($peer.ProcessId)/cmdline" -Raw | Should -Match "Invoke-MurderPeer`0-Tag`0Native4"
        }
        $tracker.Url | Should -Not -BeNullOrEmpty
        Stop-MurderPeering -Tag Native4
        foreach ($peer in $lingering) { Test-ProcessAlive $peer.ProcessId | Should -BeFalse }
        Stop-MurderSeeding -Tag Native4
        Test-ProcessAlive $seeder.ProcessId | Should -BeFalse
        Stop-MurderTracker -Port $port
    }

    It 'reports its errors with the core ErrorIds (a seeder whose artifact does not match)' {
        $source = Join-Path $work 'src-bad'
        New-SampleTree -Path $source -BinaryBytes 256KB
        $made = New-MurderTorrent -Tag NativeBad -Path $source -Tracker '127.0.0.1:9' -OutputDirectory (Join-Path $work 'seed-bad')
        $bytes = [IO.File]::ReadAllBytes($made.ArtifactPath)
        $bytes[100] = $bytes[100] -bxor 0xff
        [IO.File]::WriteAllBytes($made.ArtifactPath, $bytes)
        { Start-MurderSeeding -Tag NativeBad -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath } |
            Should -Throw -ErrorId 'ArtifactMismatch,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
        (Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'logs') -Filter '*NativeBad*' | Get-Content -Raw) -join "`n" | Should -Match 'MURDER-ERROR ArtifactMismatch'
    }
}
