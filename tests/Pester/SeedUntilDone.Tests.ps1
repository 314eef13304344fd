# The seeding ends itself: a tracker, a seeder and three local peers started with -UntilHostsDone 3
# all stop (their processes gone, their temporary files removed) once the deploy ledger shows the
# three hosts done, long before their maximum; and a peer waiting for hosts that never come stops at
# its maximum (the safety bound). Everything runs on 127.0.0.1 with its state in a temp directory.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-linger'
    $script:savedState = $env:MURDER_STATE_DIR
    $script:savedReportHost = $env:MURDER_REPORT_HOST
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:port = Get-FreeTcpPort
    $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1

    function script:New-Release([string] $Tag) {
        $source = Join-Path $work "src-$Tag"
        New-SampleTree -Path $source -BinaryBytes 1MB
        $made = New-MurderTorrent -Tag $Tag -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work "seed-$Tag")
        $made | Register-MurderTorrent -Port $port | Out-Null
        $made
    }

    function script:Invoke-Peer([string] $Tag, [string] $TorrentPath, [string] $Name, [int] $UntilHostsDone, [int] $SeedSeconds) {
        # Each peer has its own temp and destination, and reports under its own host name.
        $temp = New-Item -ItemType Directory -Path (Join-Path $work "$Name/tmp") -Force
        Copy-Item -LiteralPath $TorrentPath -Destination $temp
        $env:MURDER_REPORT_HOST = $Name
        Invoke-MurderPeer -Tag $Tag -DestinationPath (Join-Path $work "$Name/srv") -TempPath $temp `
            -TorrentPath (Join-Path $temp (Split-Path $TorrentPath -Leaf)) -SeedSeconds $SeedSeconds `
            -UntilHostsDone $UntilHostsDone -RemoveTempFiles
    }

    function script:Get-LingeringPeer([string] $Tag) {
        # The lingering peers' records in this test's state directory.
        foreach ($record in Get-ChildItem -LiteralPath (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter '*.json' -ErrorAction Ignore) {
            $saved = Get-Content -LiteralPath $record.FullName -Raw | ConvertFrom-Json
            if ($saved.Kind -eq 'peer' -and $saved.Name -like "$Tag-*") { $saved }
        }
    }

    function script:Read-Ledger([string] $InfoHash) {
        Invoke-RestMethod -Uri "http://127.0.0.1:$port/deploy?info_hash=$InfoHash&limit=10"
    }
}

AfterAll {
    Stop-MurderTestProcesses -TrackerPort $port
    $env:MURDER_STATE_DIR = $savedState
    $env:MURDER_REPORT_HOST = $savedReportHost
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Seeding that ends itself once the deploy ledger shows every host done' -Tag Linger {
    It 'stops three lingering peers and the seeder once all three are done, and removes their temporary files' {
        $made = New-Release 'LingerDone1'
        $seeder = Start-MurderSeeding -Tag LingerDone1 -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath -UntilHostsDone 3 -RemoveTempFiles
        $peerIds = foreach ($name in 'peer1', 'peer2', 'peer3') {
            $result = Invoke-Peer -Tag LingerDone1 -TorrentPath $made.TorrentPath -Name $name -UntilHostsDone 3 -SeedSeconds 600
            $result.Tag | Should -Be 'LingerDone1'
            (Compare-DirectoryTree (Join-Path $work "$name/srv/LingerDone1") | ConvertTo-Json) | Should -Be (Compare-DirectoryTree (Join-Path $work 'src-LingerDone1') | ConvertTo-Json)
            # It lingers: its record and process are there right after its download.
            @(Get-LingeringPeer 'LingerDone1').Count | Should -BeGreaterOrEqual 1
        }
        $peerIds = @(Get-LingeringPeer 'LingerDone1' | ForEach-Object ProcessId)

        # A bound far below the 600 s maximum: they stop because the ledger says so.
        Wait-Until { @($peerIds | Where-Object { Test-ProcessAlive $_ }).Count -eq 0 } -TimeoutSeconds 120 -Because 'the lingering peers to end themselves'
        Wait-Until { -not (Test-ProcessAlive $seeder.ProcessId) } -TimeoutSeconds 120 -Because 'the seeder to end itself'
        @(Get-LingeringPeer 'LingerDone1').Count | Should -Be 0

        $ledger = Read-Ledger $made.InfoHash
        $ledger.counts.done | Should -Be 3
        foreach ($name in 'peer1', 'peer2', 'peer3') {
            Get-ChildItem -LiteralPath (Join-Path $work "$name/tmp") -Filter 'LingerDone1*' | Should -BeNullOrEmpty
        }

        Test-Path -LiteralPath $made.ArtifactPath | Should -BeFalse
        Test-Path -LiteralPath $made.TorrentPath | Should -BeFalse
    }

    It 'stops a peer waiting for hosts that never come at its maximum linger' {
        $made = New-Release 'LingerBound1'
        Start-MurderSeeding -Tag LingerBound1 -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath | Out-Null
        $started = [DateTime]::UtcNow
        Invoke-Peer -Tag LingerBound1 -TorrentPath $made.TorrentPath -Name 'lonely' -UntilHostsDone 5 -SeedSeconds 20 | Out-Null
        $peer = @(Get-LingeringPeer 'LingerBound1')
        $peer.Count | Should -Be 1
        Wait-Until { (Read-Ledger $made.InfoHash).counts.seeding -eq 1 } -TimeoutSeconds 30 -Because 'the lingering peer''s report (seeding)'

        Wait-Until { -not (Test-ProcessAlive $peer[0].ProcessId) } -TimeoutSeconds 120 -Because 'the peer to stop at its maximum linger'
        # Only one of five hosts is done: it held on until its bound, not a moment before.
        ([DateTime]::UtcNow - $started).TotalSeconds | Should -BeGreaterThan 19
        Wait-Until { (Read-Ledger $made.InfoHash).counts.done -eq 1 } -TimeoutSeconds 30 -Because 'the peer''s last report (done)'
        Get-ChildItem -LiteralPath (Join-Path $work 'lonely/tmp') -Filter 'LingerBound1*' | Should -BeNullOrEmpty
        Stop-MurderSeeding -Tag LingerBound1 -WarningAction Ignore | Out-Null
    }
}
