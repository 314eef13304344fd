# Real BitTorrent clients through Murder's tracker: a libtorrent seeder, and aria2c, transmission-cli
# and libtorrent peers that each download the artifact New-MurderTorrent made, all on 127.0.0.1.
# The tracker is the only way they find each other (RealClients.psm1 turns DHT, local discovery,
# PEX, UPnP and NAT-PMP off in every client).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RealClients.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-interop'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'

    $script:payload = Join-Path $work 'payload.bin'
    $bytes = [byte[]]::new(3MB)
    [System.Random]::new(7).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes($payload, $bytes)

    $script:port = Get-FreeTcpPort
    $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -AnnounceInterval 2
    $script:seedDir = Join-Path $work 'seed'
    $script:torrent = New-MurderTorrent -Tag Interop2 -Path $payload -Tracker $tracker.Url -OutputDirectory $seedDir -PieceLength 65536
    $null = $torrent | Register-MurderTorrent -Port $port
    $script:expectedHash = (Get-FileHash -LiteralPath $torrent.ArtifactPath -Algorithm SHA256).Hash
}
AfterAll {
    Stop-RealClients
    Stop-MurderTracker -Port $port -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Real clients swarm through Murder''s tracker' -Tag Interop {
    BeforeAll {
        $script:seederMissing = Test-RealClient libtorrent
        # All peers start together; each is checked in its own test.
        $script:peers = @{}
        if (-not $seederMissing) {
            $null = Start-RealClient -Client libtorrent -Mode seed -TorrentPath $torrent.TorrentPath -DataPath $seedDir -WorkPath $work -Name 'seeder'
            Wait-Until { @(Get-MurderTracker -Port $port | Where-Object Seeders -EQ 1).Count -eq 1 } -TimeoutSeconds 60 -Because 'the libtorrent seeder to announce'
            foreach ($client in 'aria2', 'libtorrent') {
                if (-not (Test-RealClient $client)) {
                    $dir = Join-Path $work $client
                    $peers[$client] = @{ Dir = $dir; Client = Start-RealClient -Client $client -Mode peer -TorrentPath $torrent.TorrentPath -DataPath $dir -WorkPath $work -Name $client }
                }
            }
        }
    }

    It '<_> downloads the artifact' -ForEach @('aria2', 'libtorrent') {
        if ($seederMissing) { Set-ItResult -Skipped -Because "the seeder cannot run: $seederMissing"; return }
        if (-not $peers.ContainsKey($_)) { Set-ItResult -Skipped -Because (Test-RealClient $_); return }
        $peer = $peers[$_]
        Wait-RealClient $peer.Client -TimeoutSeconds 240 | Should -BeTrue -Because (Get-Content -LiteralPath $peer.Client.Output -Raw)
        (Get-FileHash -LiteralPath (Join-Path $peer.Dir 'Interop2.tgz') -Algorithm SHA256).Hash | Should -Be $expectedHash
    }

    It 'transmission seeds a torrent that only it has, and libtorrent downloads it' {
        # transmission-cli 3.00 never dials loopback (it drops 127.0.0.0/8 peers from trackers as
        # martian), so on this machine it joins as the seeder that others dial. As a downloader it is
        # covered against Murder's seeder, which dials it (SwarmInterop.Tests.ps1).
        foreach ($client in 'transmission', 'libtorrent') {
            $missing = Test-RealClient $client
            if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        }
        $only = New-MurderTorrent -Tag Interop3 -Path $payload -Tracker $tracker.Url -OutputDirectory (Join-Path $work 'only') -PieceLength 65536
        $null = $only | Register-MurderTorrent -Port $port
        $null = Start-RealSeeder -Client transmission -TorrentPath $only.TorrentPath -DataPath (Join-Path $work 'only') -WorkPath $work -TrackerPort $port -InfoHash $only.InfoHash
        $peer = Start-RealClient -Client libtorrent -Mode peer -TorrentPath $only.TorrentPath -DataPath (Join-Path $work 'from-transmission') -WorkPath $work -Name 'libtorrent-from-transmission'
        Wait-RealClient $peer -TimeoutSeconds 180 | Should -BeTrue -Because (Get-Content -LiteralPath $peer.Output -Raw)
        (Get-FileHash -LiteralPath (Join-Path $work 'from-transmission/Interop3.tgz') -Algorithm SHA256).Hash | Should -Be $expectedHash
    }

    It 'the tracker counted every completed download' {
        if ($seederMissing -or $peers.Count -eq 0) { Set-ItResult -Skipped -Because 'no clients ran (see the skipped tests above)'; return }
        Wait-Until { (Get-MurderTracker -Port $port | Where-Object InfoHash -EQ $torrent.InfoHash).Completed -ge $peers.Count } -TimeoutSeconds 60 -Because 'every peer to announce completed'
        (Get-MurderTracker -Port $port | Where-Object InfoHash -EQ $torrent.InfoHash).Completed | Should -BeGreaterOrEqual $peers.Count
    }
}
