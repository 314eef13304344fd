# Start-, Stop-, Get-MurderTracker and Register-MurderTorrent as a user drives them: a background
# tracker that outlives the session that started it, registration, per-torrent counts, the port-in-use
# error and an idempotent stop. Every tracker runs on 127.0.0.1 with its state in a temp directory.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-tracker'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:port = Get-FreeTcpPort

    function Invoke-Announce([string] $InfoHash, [string] $PeerId, [int] $PeerPort, [long] $Left, [string] $Event = 'started') {
        $url = "http://127.0.0.1:$port/announce?info_hash=$(ConvertTo-PercentEncoded $InfoHash)&peer_id=$PeerId&port=$PeerPort&uploaded=0&downloaded=0&left=$Left&event=$Event&compact=1"
        [System.Text.Encoding]::Latin1.GetString((Invoke-WebRequest -Uri $url -UseBasicParsing).RawContentStream.ToArray())
    }
}
AfterAll {
    Stop-MurderTracker -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Start-MurderTracker in the background' {
    It 'starts from another session, outlives it, and records itself' {
        $pwsh = @(Get-PwshCommand)
        $prefix = @($pwsh | Select-Object -Skip 1)
        $command = "Import-Module '$($env:MURDER_MODULE_PATH)'; Start-MurderTracker -Port $port -BindAddress 127.0.0.1 | ConvertTo-Json -Compress"
        $json = & $pwsh[0] @prefix -NoProfile -NonInteractive -Command $command
        $LASTEXITCODE | Should -Be 0
        $started = ($json | Select-Object -Last 1) | ConvertFrom-Json
        $started.Port | Should -Be $port
        $started.Url | Should -Be "http://127.0.0.1:$port/announce"
        Test-Path -LiteralPath $started.StatePath | Should -BeTrue
        # The session that started it has exited; the tracker still runs and answers.
        Get-Process -Id $started.ProcessId -ErrorAction Ignore | Should -Not -BeNullOrEmpty
        $script:trackerPid = $started.ProcessId
        (Invoke-WebRequest -Uri "http://127.0.0.1:$port/" -UseBasicParsing).Content | Should -Match 'Murder tracker'
    }

    It 'returns the running tracker, with a warning, when Murder''s own tracker already has the port' {
        # Idempotent like Start-MurderSeeding, so a deploy can "start the tracker if none runs".
        $again = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Not -BeNullOrEmpty
        $again.ProcessId | Should -Be $trackerPid
        # In the foreground nothing is recorded to return: the port in use is an error.
        { Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -Foreground } | Should -Throw -ErrorId 'TrackerPortInUse,Murder.Cmdlets.Commands.StartMurderTrackerCommand'
    }

    It 'refuses a port another program holds with TrackerPortInUse' {
        $holder = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $holder.Start()
        try {
            { Start-MurderTracker -Port $holder.LocalEndpoint.Port -BindAddress 127.0.0.1 } | Should -Throw -ErrorId 'TrackerPortInUse,Murder.Cmdlets.Commands.StartMurderTrackerCommand'
        }
        finally { $holder.Stop() }
    }

    It 'starts nothing with -WhatIf' {
        $other = Get-FreeTcpPort
        Start-MurderTracker -Port $other -BindAddress 127.0.0.1 -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $env:MURDER_STATE_DIR "processes/tracker-$other.json") | Should -BeFalse
    }

    It 'rejects a bind address that is not an IP address' {
        { Start-MurderTracker -Port (Get-FreeTcpPort) -BindAddress 'not an address' } | Should -Throw -ErrorId 'InvalidBindAddress,Murder.Cmdlets.Commands.StartMurderTrackerCommand'
    }
}

Describe 'Registration and counts' {
    BeforeAll {
        $source = New-Item -ItemType Directory -Path (Join-Path $work 'src') -Force
        Set-Content -LiteralPath (Join-Path $source 'index.html') -Value '<h1>release</h1>'
        # Made without registering, which New-MurderTorrent otherwise does with the tracker running here.
        $script:torrent = New-MurderTorrent -Tag TrackerTest1 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'out') -NoRegister
    }

    It 'refuses an unregistered torrent with a bencoded failure reason that says what to do' {
        Invoke-Announce $torrent.InfoHash '-PS0001-000000000001' 7001 100 | Should -Match '^d14:failure reason\d+:unregistered torrent: .*Register-MurderTorrent -Path TAG\.tgz\.torrent.*e$'
    }

    It 'registers a torrent piped from New-MurderTorrent and confirms the tracker serves it' {
        $registration = $torrent | Register-MurderTorrent -Port $port
        $registration.Confirmed | Should -BeTrue
        $registration.InfoHash | Should -Be $torrent.InfoHash
        Test-Path -LiteralPath $registration.TorrentPath | Should -BeTrue
    }

    It 'reports seeders, leechers and completed per torrent' {
        Invoke-Announce $torrent.InfoHash '-PS0001-000000000001' 7001 100 | Should -Match '8:intervali15e'
        Invoke-Announce $torrent.InfoHash '-PS0001-000000000002' 7002 0 'completed' | Should -Match '5:peers6:'
        $status = Get-MurderTracker -Port $port
        $status.InfoHash | Should -Be $torrent.InfoHash
        $status.Name | Should -Be 'TrackerTest1.tgz'
        $status.Seeders | Should -Be 1
        $status.Leechers | Should -Be 1
        $status.Completed | Should -Be 1
        (Get-MurderTracker -Url "127.0.0.1:$port").Seeders | Should -Be 1
        (Invoke-WebRequest -Uri "http://127.0.0.1:$port/" -UseBasicParsing).Content | Should -Match 'TrackerTest1\.tgz'
    }

    It 'refuses a different torrent of the same name without -Force' {
        $other = New-Item -ItemType Directory -Path (Join-Path $work 'other') -Force
        $dir = New-Item -ItemType Directory -Path (Join-Path $work 'other-src') -Force
        Set-Content -LiteralPath (Join-Path $dir 'x.txt') -Value 'different'
        $different = New-MurderTorrent -Tag TrackerTest1 -Path $dir -Tracker "127.0.0.1:$port" -OutputDirectory $other -NoRegister
        { $different | Register-MurderTorrent -Port $port } | Should -Throw -ErrorId 'TorrentExists,Murder.Cmdlets.Commands.RegisterMurderTorrentCommand'
    }
}

Describe 'Stop-MurderTracker' {
    It 'stops the background tracker and removes its record' {
        Stop-MurderTracker -Port $port -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -BeNullOrEmpty
        Wait-Until { -not (Get-Process -Id $trackerPid -ErrorAction Ignore) } -TimeoutSeconds 30 -Because 'the tracker process to exit'
        Test-Path -LiteralPath (Join-Path $env:MURDER_STATE_DIR "processes/tracker-$port.json") | Should -BeFalse
    }

    It 'only warns when nothing runs, however often it is called' {
        Stop-MurderTracker -Port $port -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors
        Stop-MurderTracker -WarningVariable +warnings -WarningAction SilentlyContinue -ErrorVariable +errors
        $errors | Should -BeNullOrEmpty
        @($warnings).Count | Should -Be 2
    }

    It 'Get-MurderTracker warns when no tracker runs' {
        Get-MurderTracker -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $warnings | Should -Not -BeNullOrEmpty
    }

    It 'Register-MurderTorrent says no tracker runs' {
        { Register-MurderTorrent -Path (Join-Path $work 'out/TrackerTest1.tgz.torrent') -Port $port } | Should -Throw -ErrorId 'TrackerNotRunning,Murder.Cmdlets.Commands.RegisterMurderTorrentCommand'
    }
}

Describe 'Start-MurderTracker -Foreground' {
    It 'records itself while it runs and can be stopped from another session' {
        $foregroundPort = Get-FreeTcpPort
        $pwsh = @(Get-PwshCommand)
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$($env:MURDER_MODULE_PATH)'; Start-MurderTracker -Foreground -Port $foregroundPort -BindAddress 127.0.0.1 -Open")
        $process = Start-Process -FilePath $pwsh[0] -ArgumentList $arguments -PassThru -RedirectStandardOutput (Join-Path $work 'fg.out') -RedirectStandardError (Join-Path $work 'fg.err')
        try {
            $record = Join-Path $env:MURDER_STATE_DIR "processes/tracker-$foregroundPort.json"
            Wait-Until { (Test-Path -LiteralPath $record) -or $process.HasExited } -TimeoutSeconds 60 -Because 'the foreground tracker to record itself'
            $process.HasExited | Should -BeFalse
            (Get-Content -LiteralPath $record -Raw | ConvertFrom-Json).ProcessId | Should -Be $process.Id
            Stop-MurderTracker -Port $foregroundPort
            Wait-Until { $process.HasExited } -TimeoutSeconds 30 -Because 'the foreground tracker to exit'
            Test-Path -LiteralPath $record | Should -BeFalse
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
        }
    }
}
