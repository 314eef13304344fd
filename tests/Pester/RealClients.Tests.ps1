# Real BitTorrent clients read what New-MurderTorrent writes: transmission-show, libtorrent
# (python3-libtorrent's torrent_info) and aria2c --show-files each report the same info-hash, size
# and piece count. tools/Install-TestPrerequisites.ps1 installs them (Debian packages, as root).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory
    New-SampleTree -Path (Join-Path $work 'src') -BinaryBytes 3000000
    # Small pieces so the torrent has many of them.
    $script:torrent = New-MurderTorrent -Tag Interop1 -Path (Join-Path $work 'src') -Tracker 127.0.0.1:8998 -OutputDirectory (Join-Path $work 'out') -PieceLength 16384
}
AfterAll {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Real clients read the torrent' -Tag Interop {
    It 'transmission-show reports the same info-hash, piece count and size' {
        if (-not (Get-Command transmission-show -ErrorAction Ignore)) {
            Set-ItResult -Skipped -Because 'transmission-show is missing: install Debian package transmission-cli (build.ps1 does so when run as root)'
            return
        }
        $text = (& transmission-show $torrent.TorrentPath) -join "`n"
        $LASTEXITCODE | Should -Be 0
        $text | Should -Match "Hash: $($torrent.InfoHash)"
        $text | Should -Match "Piece Count: $($torrent.PieceCount)\b"
        $text | Should -Match 'Piece Size: 16.00 KiB'
        # transmission 3.00 prints sizes only rounded in decimal units ("3.01 MB"): compare within that precision.
        $text -match 'Total Size: ([\d.]+) (kB|MB|GB)' | Should -BeTrue
        $factor = @{ kB = 1e3; MB = 1e6; GB = 1e9 }[$Matches[2]]
        [math]::Abs([double]$Matches[1] * $factor - $torrent.Size) | Should -BeLessOrEqual (0.006 * $factor)
        $text | Should -Match ([regex]::Escape('http://127.0.0.1:8998/announce'))
    }

    It 'libtorrent''s torrent_info reports the same info-hash, size and piece count' {
        if (-not (Test-PythonLibtorrent)) {
            Set-ItResult -Skipped -Because 'python3-libtorrent is missing for /usr/bin/python3: install Debian package python3-libtorrent (build.ps1 does so when run as root)'
            return
        }
        $script = 'import sys, libtorrent as lt; t = lt.torrent_info(sys.argv[1]); print(str(t.info_hash()), t.total_size(), t.num_pieces(), t.piece_length(), t.name())'
        $fields = (& (Get-DebianPython) -c $script $torrent.TorrentPath) -split ' '
        $LASTEXITCODE | Should -Be 0
        $fields[0] | Should -Be $torrent.InfoHash
        [long]$fields[1] | Should -Be $torrent.Size
        [int]$fields[2] | Should -Be $torrent.PieceCount
        [int]$fields[3] | Should -Be $torrent.PieceLength
        $fields[4] | Should -Be 'Interop1.tgz'
    }

    It 'aria2c --show-files reports the same info-hash, size and piece count' {
        if (-not (Get-Command aria2c -ErrorAction Ignore)) {
            Set-ItResult -Skipped -Because 'aria2c is missing: install Debian package aria2 (build.ps1 does so when run as root)'
            return
        }
        $text = (& aria2c --show-files $torrent.TorrentPath) -join "`n"
        $LASTEXITCODE | Should -Be 0
        $text | Should -Match "Info Hash: $($torrent.InfoHash)"
        $text | Should -Match "The Number of Pieces: $($torrent.PieceCount)\b"
        $text | Should -Match "Total Length: .*\($($torrent.Size.ToString('N0', [cultureinfo]::InvariantCulture))\)"
        $text | Should -Match 'Piece Length: 16KiB'
    }
}
