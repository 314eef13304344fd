# Background trackers and seeders run in the module's agent, a small program instead of a whole
# PowerShell: here the managed one (Murder.Agent.dll on a dotnet host, what hosts other than Linux
# x64 run; MURDER_BACKGROUND_HOST=managed forces it; NativeAgent.Tests.ps1 tests the native one);
# MURDER_BACKGROUND_HOST=pwsh still runs them in pwsh. Both hosts keep the same contract: a record when ready, the core's ErrorIds on failure.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-host'
    $script:savedState = $env:MURDER_STATE_DIR
    $script:savedHost = $env:MURDER_BACKGROUND_HOST
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:agent = Join-Path (Split-Path $env:MURDER_MODULE_PATH) 'bin/Murder.Agent.dll'

    function Get-CommandLine([int] $ProcessId) {
        if ($IsLinux) { ((Get-Content -LiteralPath "/proc/$ProcessId/cmdline" -Raw -ErrorAction Ignore) -split "`0") -join ' ' }
        else { (Get-CimInstance Win32_Process -Filter "ProcessId = $ProcessId").CommandLine }
    }
    function Get-ResidentMegabytes([int] $ProcessId) { (Get-Process -Id $ProcessId).WorkingSet64 / 1MB }
}
AfterAll {
    $env:MURDER_BACKGROUND_HOST = $savedHost
    Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'tracker-*.json' -ErrorAction Ignore |
        ForEach-Object { Stop-MurderTracker -Port (Get-Content $_ -Raw | ConvertFrom-Json).Port -WarningAction SilentlyContinue }
    Stop-MurderSeeding -Tag HostTest -WarningAction SilentlyContinue
    Stop-MurderPeering -Tag HostTest -WarningAction SilentlyContinue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'The background agent' {
    BeforeAll { $env:MURDER_BACKGROUND_HOST = 'managed' }

    It 'is part of the built module' {
        Test-Path -LiteralPath $agent | Should -BeTrue
        Test-Path -LiteralPath ([IO.Path]::ChangeExtension($agent, '.runtimeconfig.json')) | Should -BeTrue
    }

    It 'runs a background tracker, small, with the same record and answers' {
        $port = Get-FreeTcpPort
        $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Open
        try {
            Get-CommandLine $tracker.ProcessId | Should -Match 'Murder\.Agent\.dll Start-MurderTracker'
            (Invoke-WebRequest -Uri "http://127.0.0.1:$port/" -UseBasicParsing).Content | Should -Match 'Murder tracker'
            # A pwsh host alone is over 100 MB resident; the agent is a fraction of that.
            Get-ResidentMegabytes $tracker.ProcessId | Should -BeLessThan 80
            Get-Content -LiteralPath $tracker.LogPath -Raw | Should -Match 'Murder tracker listening on 127\.0\.0\.1'
        }
        finally { Stop-MurderTracker -Port $port -WarningAction SilentlyContinue }
        Test-ProcessAlive $tracker.ProcessId | Should -BeFalse
        Test-Path -LiteralPath $tracker.StatePath | Should -BeFalse
    }

    It 'gets the swarm secret through its environment, not its command line' {
        $port = Get-FreeTcpPort
        $secret = ConvertTo-SecureString 'agent-secret-7' -AsPlainText -Force
        $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -SwarmSecret $secret
        try {
            Get-CommandLine $tracker.ProcessId | Should -Not -Match 'agent-secret-7'
            if ($IsLinux) { [IO.File]::ReadAllText("/proc/$($tracker.ProcessId)/environ") | Should -Match 'MURDER_SWARM_SECRET=agent-secret-7' }
        }
        finally { Stop-MurderTracker -Port $port -WarningAction SilentlyContinue }
    }

    It 'seeds in the background and reports ArtifactMismatch from the agent' {
        $source = Join-Path $work 'src'
        New-SampleTree -Path $source -BinaryBytes 256KB
        $made = New-MurderTorrent -Tag HostTest -Path $source -Tracker '127.0.0.1:9' -OutputDirectory (Join-Path $work 'seed')
        $seeder = Start-MurderSeeding -Tag HostTest -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath
        Get-CommandLine $seeder.ProcessId | Should -Match 'Murder\.Agent\.dll Start-MurderSeeding'
        if ($IsLinux) {
            $environment = [IO.File]::ReadAllText("/proc/$($seeder.ProcessId)/environ") -split "`0"
            $environment | Should -Contain 'DOTNET_TieredCompilation=0'
            $environment | Should -Contain 'DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1'
        }
        Stop-MurderSeeding -Tag HostTest

        $bytes = [IO.File]::ReadAllBytes($made.ArtifactPath)
        $bytes[100] = $bytes[100] -bxor 0xff
        [IO.File]::WriteAllBytes($made.ArtifactPath, $bytes)
        { Start-MurderSeeding -Tag HostTest -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath } |
            Should -Throw -ErrorId 'ArtifactMismatch,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
    }

    It 'refuses to run anything but a tracker or a seeder, with a machine-readable error' {
        $dotnet = (Get-Process -Id $PID).Path
        if ([IO.Path]::GetFileNameWithoutExtension($dotnet) -ne 'dotnet') { $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source }
        $output = & $dotnet $agent 'Remove-Item' '-Path' '/' 2>&1
        $LASTEXITCODE | Should -Be 1
        ($output | Out-String) | Should -Match 'MURDER-ERROR AgentCommandUnknown InvalidArgument'
    }
}

Describe 'MURDER_BACKGROUND_HOST=pwsh' {
    BeforeAll { $env:MURDER_BACKGROUND_HOST = 'pwsh' }
    AfterAll { $env:MURDER_BACKGROUND_HOST = $null }

    It 'runs the background tracker in PowerShell, with the same behaviour' {
        $port = Get-FreeTcpPort
        $tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Open
        try {
            Get-CommandLine $tracker.ProcessId | Should -Match 'pwsh'
            Get-CommandLine $tracker.ProcessId | Should -Not -Match 'Murder\.Agent'
            (Invoke-WebRequest -Uri "http://127.0.0.1:$port/" -UseBasicParsing).Content | Should -Match 'Murder tracker'
        }
        finally { Stop-MurderTracker -Port $port -WarningAction SilentlyContinue }
        Test-ProcessAlive $tracker.ProcessId | Should -BeFalse
    }

    It 'runs Invoke-MurderPeer in this session and hands over to a lingering pwsh' {
        $port = Get-FreeTcpPort
        Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Open | Out-Null
        try {
            $source = Join-Path $work 'pwsh-src'
            New-SampleTree -Path $source -BinaryBytes 1MB
            $made = New-MurderTorrent -Tag PwshHost -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'pwsh-seed') -PieceLength 65536
            Start-MurderSeeding -Tag PwshHost -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath | Out-Null
            $result = Invoke-MurderPeer -Tag PwshHost -TorrentPath $made.TorrentPath -DestinationPath (Join-Path $work 'pwsh-dest') -TempPath (Join-Path $work 'pwsh-temp') -SeedSeconds 60 -Confirm:$false
            $result.Bytes | Should -Be $made.Size
            $lingering = @(Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'peer-PwshHost-*.json' | ForEach-Object { Get-Content $_ -Raw | ConvertFrom-Json })
            $lingering.Count | Should -Be 1
            Get-CommandLine $lingering[0].ProcessId | Should -Match 'pwsh'
            Get-CommandLine $lingering[0].ProcessId | Should -Not -Match 'Murder\.Agent'
        }
        finally {
            Stop-MurderPeering -Tag PwshHost -WarningAction SilentlyContinue
            Stop-MurderSeeding -Tag PwshHost -WarningAction SilentlyContinue
            Stop-MurderTracker -Port $port -WarningAction SilentlyContinue
        }
    }
}

Describe 'Invoke-MurderPeer in the agent' {
    BeforeAll {
        $env:MURDER_BACKGROUND_HOST = 'managed'
        $script:trackerPort = Get-FreeTcpPort
        Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open | Out-Null
        $script:peerSource = Join-Path $work 'peer-src'
        New-SampleTree -Path $peerSource -BinaryBytes 2MB
        $script:made = New-MurderTorrent -Tag HostTest -Path $peerSource -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'peer-seed') -PieceLength 65536
    }
    AfterAll {
        Stop-MurderPeering -Tag HostTest -WarningAction SilentlyContinue
        Stop-MurderSeeding -Tag HostTest -WarningAction SilentlyContinue
        Stop-MurderTracker -Port $trackerPort -WarningAction SilentlyContinue
    }

    It 'downloads and extracts there, and the same agent process and port keep seeding' {
        Start-MurderSeeding -Tag HostTest -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath | Out-Null
        $result = Invoke-MurderPeer -Tag HostTest -TorrentPath $made.TorrentPath -DestinationPath (Join-Path $work 'dest') -TempPath (Join-Path $work 'temp') -SeedSeconds 60 -Confirm:$false
        $result.Bytes | Should -Be $made.Size
        $result.InfoHash | Should -Be $made.InfoHash
        (Compare-DirectoryTree $result.Destination).Count | Should -Be (Compare-DirectoryTree $peerSource).Count
        $lingering = @(Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'peer-HostTest-*.json' | ForEach-Object { Get-Content $_ -Raw | ConvertFrom-Json })
        $lingering.Count | Should -Be 1
        Get-CommandLine $lingering[0].ProcessId | Should -Match 'Murder\.Agent\.dll Invoke-MurderPeer'
        Get-CommandLine $lingering[0].ProcessId | Should -Match "-Port $($lingering[0].Port)"
        # A transfer agent compiles each method once, optimized (no background re-compilation during the transfer).
        if ($IsLinux) {
            $environment = [IO.File]::ReadAllText("/proc/$($lingering[0].ProcessId)/environ") -split "`0"
            $environment | Should -Contain 'DOTNET_TieredCompilation=0'
            $environment | Should -Contain 'DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1'
        }
        # Nothing is left of the status file once the result is in.
        Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'logs') -Filter '*.status.json*' | Should -BeNullOrEmpty
        Stop-MurderPeering -Tag HostTest
        Test-ProcessAlive $lingering[0].ProcessId | Should -BeFalse
        Stop-MurderSeeding -Tag HostTest
    }

    It 'stops when the session that started it ends before the download does' {
        # No seeder: the download waits. Kill the session running Invoke-MurderPeer; its agent follows.
        $pwsh = @(Get-PwshCommand)
        $prefix = @($pwsh | Select-Object -Skip 1)
        $command = "Import-Module '$($env:MURDER_MODULE_PATH)'; Invoke-MurderPeer -Tag HostTest -TorrentPath '$($made.TorrentPath)' -DestinationPath '$(Join-Path $work 'dest2')' -TempPath '$(Join-Path $work 'temp2')' -Confirm:`$false"
        $session = Start-Process -FilePath $pwsh[0] -ArgumentList ($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru -RedirectStandardOutput (Join-Path $work 'session.out') -RedirectStandardError (Join-Path $work 'session.err')
        try {
            $agentId = $null
            Wait-Until -TimeoutSeconds 60 -Because 'the agent starts' {
                $script:found = Get-Process -Name dotnet -ErrorAction Ignore | Where-Object { $_.Id -ne $PID -and (Get-CommandLine $_.Id) -match 'Murder\.Agent\.dll Invoke-MurderPeer -Tag HostTest .*dest2' }
                $null -ne $script:found
            }
            $agentId = @($script:found)[0].Id
            Stop-Process -Id $session.Id -Force
            Wait-Until -TimeoutSeconds 30 -Because 'the agent follows its session' { -not (Test-ProcessAlive $agentId) }
            Test-Path -LiteralPath (Join-Path $work 'dest2/HostTest') | Should -BeFalse
        }
        finally {
            Stop-Process -Id $session.Id -Force -ErrorAction Ignore
            if ($agentId) { Stop-Process -Id $agentId -Force -ErrorAction Ignore }
        }
    }
}
