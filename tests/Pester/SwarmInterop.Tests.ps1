# Murder's engine speaks standard BitTorrent, both ways: Murder peers download from libtorrent and
# transmission seeders; libtorrent, aria2 and transmission peers download from a Murder seeder; and a
# mixed swarm of all of them completes. Everything runs on 127.0.0.1 through Murder's tracker.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RealClients.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-swarm-interop'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:trackerPort = Get-FreeTcpPort
    Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -AnnounceInterval 2 -Open | Out-Null
    $script:source = Join-Path $work 'src'
    New-SampleTree -Path $source -BinaryBytes 4MB
    $script:seedDir = Join-Path $work 'seed'
    $script:torrent = New-MurderTorrent -Tag Swarm1 -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory $seedDir -PieceLength 32768
    $script:artifactHash = (Get-FileHash -LiteralPath $torrent.ArtifactPath).Hash
    $script:expectedTree = Compare-DirectoryTree $source

    function Assert-Release([string] $Destination) {
        $actual = Compare-DirectoryTree $Destination
        ($actual.Keys -join ',') | Should -Be ($expectedTree.Keys -join ',')
        foreach ($key in $expectedTree.Keys) { $actual[$key] | Should -Be $expectedTree[$key] -Because $key }
    }

    function Get-ClientLog($Client) { (Get-Content -LiteralPath $Client.Output -Raw -ErrorAction Ignore) + (Get-Content -LiteralPath ($Client.Output -replace '\.out$', '.err') -Raw -ErrorAction Ignore) }
}
AfterAll {
    Stop-RealClients
    Stop-MurderTestProcesses -TrackerPort $trackerPort
    Get-Job | Remove-Job -Force -ErrorAction Ignore
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Murder peers download from other clients'' seeders' -Tag Interop {
    AfterEach { Stop-RealClients }

    It 'downloads from a <_> seeder' -ForEach @('libtorrent', 'transmission') {
        $missing = Test-RealClient $_
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $seeder = Start-RealSeeder -Client $_ -TorrentPath $torrent.TorrentPath -DataPath $seedDir -WorkPath $work -TrackerPort $trackerPort -InfoHash $torrent.InfoHash
        $destination = Join-Path $work "from-$_"
        $result = Invoke-MurderPeer -Tag Swarm1 -DestinationPath $destination -TorrentPath $torrent.TorrentPath -TempPath (Join-Path $work "temp-$_") -SeedSeconds 0 -StallTimeoutSeconds 90
        $seeder.Process.HasExited | Should -BeFalse -Because (Get-ClientLog $seeder)
        $result.BytesFromSeeders | Should -Be $torrent.Size
        Assert-Release $result.Destination
    }
}

Describe 'Other clients download from a Murder seeder' -Tag Interop {
    BeforeAll {
        $script:murderSeeder = Start-MurderSeeding -Tag Swarm1 -TorrentPath $torrent.TorrentPath -ArtifactPath $torrent.ArtifactPath
    }
    AfterAll {
        Stop-RealClients
        Stop-MurderSeeding -Tag Swarm1 -WarningAction Ignore
    }

    It '<_> downloads the artifact from Murder' -ForEach @('libtorrent', 'aria2', 'transmission') {
        $missing = Test-RealClient $_
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $data = Join-Path $work "to-$_"
        $client = Start-RealClient -Client $_ -Mode peer -TorrentPath $torrent.TorrentPath -DataPath $data -WorkPath $work -Name "$_-peer"
        Wait-RealClient $client -TimeoutSeconds 180 | Should -BeTrue -Because (Get-ClientLog $client)
        (Get-FileHash -LiteralPath (Join-Path $data 'Swarm1.tgz')).Hash | Should -Be $artifactHash
        Stop-RealClients
    }
}

Describe 'A mixed swarm' -Tag Interop {
    It 'completes for Murder, libtorrent, aria2 and transmission peers together' {
        $clients = @('libtorrent', 'aria2', 'transmission') | Where-Object { -not (Test-RealClient $_) }
        if ($clients.Count -lt 3) { Set-ItResult -Skipped -Because ("missing: " + ((@('libtorrent', 'aria2', 'transmission') | ForEach-Object { Test-RealClient $_ }) -join '; ')); return }
        $tag = 'Mixed1'
        $mixed = New-MurderTorrent -Tag $tag -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'mixed-seed') -PieceLength 16384
        $seeder = Start-MurderSeeding -Tag $tag -TorrentPath $mixed.TorrentPath -ArtifactPath $mixed.ArtifactPath
        try {
            $others = foreach ($client in $clients) {
                Start-RealClient -Client $client -Mode peer -TorrentPath $mixed.TorrentPath -DataPath (Join-Path $work "mixed-$client") -WorkPath $work -Name "mixed-$client"
            }
            $jobs = foreach ($index in 1..2) {
                Start-Job -ArgumentList $env:MURDER_MODULE_PATH, $mixed.TorrentPath, (Join-Path $work "mixed-murder$index") -ScriptBlock {
                    param($module, $torrentPath, $peerHome)
                    Import-Module $module
                    Invoke-MurderPeer -Tag Mixed1 -DestinationPath (Join-Path $peerHome 'releases') -TorrentPath $torrentPath -TempPath (Join-Path $peerHome 'tmp') -SeedSeconds 0 -StallTimeoutSeconds 120
                }
            }
            foreach ($other in $others) {
                Wait-RealClient $other -TimeoutSeconds 180 | Should -BeTrue -Because (Get-ClientLog $other)
                (Get-FileHash -LiteralPath (Join-Path $work "mixed-$($other.Name -replace '^mixed-', '')/$tag.tgz")).Hash | Should -Be (Get-FileHash -LiteralPath $mixed.ArtifactPath).Hash
            }
            $results = @($jobs | Wait-Job -Timeout 180 | Receive-Job -ErrorVariable failures)
            $failures | Should -BeNullOrEmpty
            $results.Count | Should -Be 2
            foreach ($result in $results) { Assert-Release $result.Destination }
        }
        finally {
            Stop-RealClients
            Stop-MurderSeeding -Tag $tag -WarningAction Ignore
        }
    }
}
