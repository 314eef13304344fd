# A whole Murder transfer on this machine: a tracker, a seeder and eight peers, each its own process
# on loopback, into eight destinations; every extracted file is compared with the source.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:trackerPort = Get-FreeTcpPort
    Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open | Out-Null
    $script:source = Join-Path $work 'src'
    New-SampleTree -Path $source -BinaryBytes 6MB
    $script:torrent = New-MurderTorrent -Tag Local8 -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'seed') -PieceLength 65536
    $script:seeder = Start-MurderSeeding -Tag Local8 -TorrentPath $torrent.TorrentPath -ArtifactPath $torrent.ArtifactPath
}
AfterAll {
    Stop-MurderTestProcesses -TrackerPort $trackerPort
    Get-Job | Remove-Job -Force -ErrorAction Ignore
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'A local Murder transfer' {
    It 'delivers identical files to eight peers running as separate processes' {
        $jobs = foreach ($index in 1..8) {
            Start-Job -ArgumentList $env:MURDER_MODULE_PATH, $torrent.TorrentPath, (Join-Path $work "dest$index"), (Join-Path $work "temp$index") -ScriptBlock {
                param($module, $torrentPath, $destination, $temp)
                Import-Module $module
                Invoke-MurderPeer -Tag Local8 -DestinationPath $destination -TorrentPath $torrentPath -TempPath $temp -SeedSeconds 15
            }
        }
        $null = $jobs | Wait-Job -Timeout 240
        $results = @($jobs | Receive-Job -ErrorVariable peerErrors)
        $peerErrors | Should -BeNullOrEmpty
        $results.Count | Should -Be 8
        $expected = Assert-PeerResult -Results $results -Torrent $torrent -Source $source
        $expected.Count | Should -BeGreaterThan 3
        # Every peer met the seeder at least; most met others too.
        ($results | Measure-Object PeersSeen -Maximum).Maximum | Should -BeGreaterThan 1
        Write-Host ('    peers: ' + (($results | ForEach-Object { '{0:N1}s seen={1} fromSeeders={2} fromPeers={3}' -f $_.Duration.TotalSeconds, $_.PeersSeen, $_.BytesFromSeeders, $_.BytesFromPeers }) -join '; '))
    }

    It 'leaves lingering peers that Stop-MurderPeering ends' {
        $lingering = @(Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter 'peer-*.json')
        $lingering.Count | Should -BeGreaterThan 0
        $ids = $lingering | ForEach-Object { (Get-Content $_ -Raw | ConvertFrom-Json).ProcessId }
        Stop-MurderPeering -Tag Local8
        foreach ($id in $ids) { Test-ProcessAlive $id | Should -BeFalse }
        Stop-MurderPeering -Tag Local8 -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Not -BeNullOrEmpty
    }
}
