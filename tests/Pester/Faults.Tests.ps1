# Faults in the multi-process rig on loopback: peers and the seeder killed mid-transfer, the tracker
# restarted, a full disk, a peer killed while extracting. The seeder's upload is capped
# (-MaxUploadRate) so a transfer lasts long enough to be interrupted.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-faults'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:trackerPort = Get-FreeTcpPort
    Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open -AnnounceInterval 2 | Out-Null
    $script:source = Join-Path $work 'src'
    New-SampleTree -Path $source -BinaryBytes 8MB
    $script:expected = Compare-DirectoryTree $source
    $script:peerProcesses = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

    function New-Release([string] $Tag, [long] $Rate) {
        $made = New-MurderTorrent -Tag $Tag -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work "$Tag-seed") -PieceLength 65536
        $seeder = Start-MurderSeeding -Tag $Tag -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath -MaxUploadRate $Rate
        [pscustomobject]@{ Torrent = $made; Seeder = $seeder }
    }

    function Start-PeerProcess([string] $Tag, [string] $TorrentPath, [string] $Name, [int] $SeedSeconds = 30) {
        # A peer in its own pwsh process; its result lands in NAME.json.
        $peerHome = Join-Path $work $Name
        $script = "Import-Module '$env:MURDER_MODULE_PATH'; Invoke-MurderPeer -Tag '$Tag' -DestinationPath '$peerHome/releases' -TorrentPath '$TorrentPath' -TempPath '$peerHome/tmp' -SeedSeconds $SeedSeconds | ConvertTo-Json -Depth 2 | Set-Content '$peerHome.json'"
        $command = @(Get-PwshCommand)
        $arguments = @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
        $process = Start-Process -FilePath $command[0] -ArgumentList $arguments -PassThru -RedirectStandardError "$peerHome.err" -RedirectStandardOutput "$peerHome.out"
        $peerProcesses.Add($process)
        [pscustomobject]@{ Name = $Name; Process = $process; Result = "$peerHome.json"; Home = $peerHome }
    }

    function Wait-PeerResult($Peer, [int] $TimeoutSeconds = 120) {
        # Set-Content creates the file before it writes: wait for the content, not the name.
        Wait-Until { Get-Content -LiteralPath $Peer.Result -Raw -ErrorAction Ignore } -TimeoutSeconds $TimeoutSeconds -Because "peer $($Peer.Name) to finish ($(Get-Content "$($Peer.Home).err" -Raw -ErrorAction Ignore))"
        Get-Content -LiteralPath $Peer.Result -Raw | ConvertFrom-Json
    }

    function Assert-Release([string] $Destination) {
        $actual = Compare-DirectoryTree $Destination
        ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',')
        foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because $key }
    }
}
AfterAll {
    foreach ($process in $peerProcesses) { if (-not $process.HasExited) { $process.Kill($true) }; $process.Dispose() }
    Stop-MurderTestProcesses -TrackerPort $trackerPort
    if ($IsLinux -and (Test-Path (Join-Path $work 'tiny'))) { & umount (Join-Path $work 'tiny') 2>$null }
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Faults during a transfer' -Tag Faults {
    It 'completes every remaining peer when one peer is killed mid-transfer and the seeder once a full copy exists' {
        $release = New-Release -Tag Kill1 -Rate 2MB
        $peers = foreach ($index in 1..3) { Start-PeerProcess -Tag Kill1 -TorrentPath $release.Torrent.TorrentPath -Name "kill1-peer$index" }
        # Kill the first peer once its download has begun.
        Wait-Until { (Test-Path (Join-Path $peers[0].Home 'tmp/Kill1.tgz')) } -TimeoutSeconds 60 -Because 'the first peer to start downloading'
        Start-Sleep -Milliseconds 500
        $peers[0].Process.Kill($true)
        # Once any peer holds the whole artifact, a full copy exists without the seeder: stop it.
        Wait-Until { @($peers[1..2] | Where-Object { Test-Path $_.Result }).Count -ge 1 } -TimeoutSeconds 120 -Because 'a first peer to complete'
        Stop-MurderSeeding -Tag Kill1
        Test-ProcessAlive $release.Seeder.ProcessId | Should -BeFalse
        foreach ($peer in $peers[1..2]) {
            $result = Wait-PeerResult $peer
            Assert-Release $result.Destination
        }
        Test-Path $peers[0].Result | Should -BeFalse
    }

    It 'completes when the tracker restarts: peers and the seeder announce again' {
        $release = New-Release -Tag Restart1 -Rate 0
        Stop-MurderTracker -Port $trackerPort
        $peer = Start-PeerProcess -Tag Restart1 -TorrentPath $release.Torrent.TorrentPath -Name 'restart1-peer' -SeedSeconds 0
        Start-Sleep -Seconds 3
        Test-Path $peer.Result | Should -BeFalse
        Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open -AnnounceInterval 2 | Out-Null
        $result = Wait-PeerResult $peer -TimeoutSeconds 90
        Assert-Release $result.Destination
    }

    It 'leaves no staging behind and no partial release when a peer is killed while extracting, and a rerun completes' {
        $many = Join-Path $work 'many'
        $null = New-Item -ItemType Directory $many
        $random = [System.Random]::new(5)
        foreach ($index in 1..1500) {
            $bytes = [byte[]]::new(16KB); $random.NextBytes($bytes)
            [IO.File]::WriteAllBytes((Join-Path $many ("f{0:D4}.bin" -f $index)), $bytes)
        }
        $made = New-MurderTorrent -Tag Extract1 -Path $many -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'extract1-seed') -CompressionLevel NoCompression
        Start-MurderSeeding -Tag Extract1 -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath | Out-Null
        $peer = Start-PeerProcess -Tag Extract1 -TorrentPath $made.TorrentPath -Name 'extract1-peer' -SeedSeconds 0
        $releases = Join-Path $peer.Home 'releases'
        $staging = $null
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        # The extraction runs in the session's agent (its first log line names its process), which
        # would notice the session's end only within 0.5 s: the peer killed is that agent.
        $agentId = 0
        while (-not $staging -and [DateTime]::UtcNow -lt $deadline -and -not $peer.Process.HasExited) {
            if (-not $agentId -and (Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'logs') -Filter 'peer-Extract1-*.log' -ErrorAction Ignore | Get-Content -TotalCount 1 -ErrorAction Ignore) -match 'agent process (\d+)') { $agentId = [int] $Matches[1] }
            $staging = Get-ChildItem -LiteralPath $releases -Filter '.murder-*' -Force -ErrorAction Ignore | Select-Object -First 1
            if (-not $staging) { Start-Sleep -Milliseconds 5 }
        }
        if (-not $staging) { Set-ItResult -Inconclusive -Because 'the extraction finished before the test could see its staging directory'; return }
        if ($agentId) { Stop-Process -Id $agentId -Force -ErrorAction Ignore }
        $peer.Process.Kill($true)
        $peer.Process.WaitForExit()
        Test-Path (Join-Path $releases 'Extract1') | Should -BeFalse -Because 'no partial release may be visible'
        $rerun = Invoke-MurderPeer -Tag Extract1 -DestinationPath $releases -TorrentPath $made.TorrentPath -TempPath (Join-Path $peer.Home 'tmp') -SeedSeconds 0
        $rerun.BytesResumed | Should -Be $made.Size
        (Get-ChildItem -LiteralPath $rerun.Destination -File).Count | Should -Be 1500
        Get-ChildItem -LiteralPath $releases -Filter '.murder-*' -Force | Should -BeNullOrEmpty
    }
}

Describe 'A full disk' -Tag Faults {
    BeforeAll {
        $script:tiny = Join-Path $work 'tiny'
        $script:mounted = $false
        if ($IsLinux -and (& id -u) -eq '0') {
            $null = New-Item -ItemType Directory $tiny
            & mount -t tmpfs -o size=2m murder-test-tiny $tiny
            $script:mounted = $LASTEXITCODE -eq 0
        }
        $script:full = New-MurderTorrent -Tag Full1 -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'full1-seed')
        Start-MurderSeeding -Tag Full1 -TorrentPath $full.TorrentPath -ArtifactPath $full.ArtifactPath | Out-Null
    }

    It 'is refused before the download, naming the host and the space needed, with the previous release untouched' {
        if (-not $mounted) { Set-ItResult -Skipped -Because 'needs root on Linux to mount a 2 MiB tmpfs'; return }
        $destination = Join-Path $work 'full-dest'
        $null = New-Item -ItemType Directory (Join-Path $destination 'Full1') -Force
        Set-Content (Join-Path $destination 'Full1/previous.txt') 'previous release'
        $failure = { Invoke-MurderPeer -Tag Full1 -DestinationPath $destination -TorrentPath $full.TorrentPath -TempPath $tiny -UnsafePleaseDelete -SeedSeconds 0 } | Should -Throw -ErrorId 'InsufficientDiskSpace,Murder.Cmdlets.Commands.InvokeMurderPeerCommand' -PassThru
        $failure.Exception.Message | Should -Match ([regex]::Escape([Environment]::MachineName))
        $failure.Exception.Message | Should -Match ('{0:N0}' -f $full.Size)
        Get-Content (Join-Path $destination 'Full1/previous.txt') | Should -Be 'previous release'
        Get-ChildItem $tiny -Force | Should -BeNullOrEmpty
    }

    It 'is refused before extraction with the previous release untouched and no staging left' {
        if (-not $mounted) { Set-ItResult -Skipped -Because 'needs root on Linux to mount a 2 MiB tmpfs'; return }
        $null = New-Item -ItemType Directory (Join-Path $tiny 'Full1') -Force
        Set-Content (Join-Path $tiny 'Full1/previous.txt') 'previous release'
        { Invoke-MurderPeer -Tag Full1 -DestinationPath $tiny -TorrentPath $full.TorrentPath -TempPath (Join-Path $work 'full-temp') -UnsafePleaseDelete -SeedSeconds 0 } | Should -Throw -ErrorId 'InsufficientDiskSpace,Murder.Cmdlets.Commands.InvokeMurderPeerCommand'
        Get-Content (Join-Path $tiny 'Full1/previous.txt') | Should -Be 'previous release'
        (Get-ChildItem $tiny -Force).Name | Should -Be @('Full1')
    }
}
