# Start-MurderSeeding, Stop-MurderSeeding, Invoke-MurderPeer and Stop-MurderPeering on bad input:
# each gives a clear error with a stable ErrorId, never a crash, a hang or a half-written release.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:trackerPort = Get-FreeTcpPort
    Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open | Out-Null
    $script:tracker = "127.0.0.1:$trackerPort"
    $script:source = Join-Path $work 'src'
    New-SampleTree -Path $source -BinaryBytes 1MB
    $script:good = New-MurderTorrent -Tag Good -Path $source -Tracker $tracker -OutputDirectory (Join-Path $work 'seed') -PieceLength 16384
    Start-MurderSeeding -Tag Good -TorrentPath $good.TorrentPath -ArtifactPath $good.ArtifactPath | Out-Null
}
AfterAll {
    Stop-MurderTestProcesses -TrackerPort $trackerPort
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Start-MurderSeeding' {
    It 'returns the running seeder, with a warning, when the tag is already seeded' {
        $again = Start-MurderSeeding -Tag Good -TorrentPath $good.TorrentPath -ArtifactPath $good.ArtifactPath -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Not -BeNullOrEmpty
        $again.IsRunning | Should -BeTrue
        Get-Process -Id $again.ProcessId | Should -Not -BeNullOrEmpty
    }

    It 'refuses an artifact that <Case> with ArtifactMismatch' -ForEach @(
        @{ Case = 'has a corrupt byte'; Damage = { param($p) $b = [IO.File]::ReadAllBytes($p); $b[$b.Length / 2] = $b[$b.Length / 2] -bxor 0xff; [IO.File]::WriteAllBytes($p, $b) } }
        @{ Case = 'is truncated'; Damage = { param($p) $s = [IO.File]::Open($p, 'Open'); $s.SetLength($s.Length - 100); $s.Dispose() } }
    ) {
        $tag = 'Bad' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $made = New-MurderTorrent -Tag $tag -Path $source -Tracker $tracker -OutputDirectory (Join-Path $work $tag)
        & $Damage $made.ArtifactPath
        { Start-MurderSeeding -Tag $tag -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath } | Should -Throw -ErrorId 'ArtifactMismatch,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
        Get-ChildItem (Join-Path $env:MURDER_STATE_DIR 'processes') -Filter "seeder-$tag*" | Should -BeNullOrEmpty
    }

    It 'refuses a torrent made from another artifact' {
        $other = New-MurderTorrent -Tag Other -Path (Join-Path $source 'README.md') -Tracker $tracker -OutputDirectory (Join-Path $work 'other')
        { Start-MurderSeeding -Tag Other -TorrentPath $other.TorrentPath -ArtifactPath $good.ArtifactPath } | Should -Throw -ErrorId 'ArtifactMismatch,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
    }

    It 'reports a missing torrent as TorrentNotFound' {
        { Start-MurderSeeding -Tag Missing -TorrentPath (Join-Path $work 'none.torrent') -ArtifactPath $good.ArtifactPath } | Should -Throw -ErrorId 'TorrentNotFound,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
    }

    It 'reports a file that is not a torrent as InvalidTorrent' {
        $junk = Join-Path $work 'junk.torrent'
        Set-Content $junk 'd4:infoi01ee'
        { Start-MurderSeeding -Tag Junk -TorrentPath $junk -ArtifactPath $good.ArtifactPath } | Should -Throw -ErrorId 'InvalidTorrent,Murder.Cmdlets.Commands.StartMurderSeedingCommand'
    }
}

Describe 'Stopping' {
    It 'is idempotent: stopping what is not running only warns' {
        Stop-MurderSeeding -Tag NeverStarted -WarningVariable w1 -WarningAction SilentlyContinue
        Stop-MurderPeering -Tag NeverStarted -WarningVariable w2 -WarningAction SilentlyContinue
        $w1 | Should -Not -BeNullOrEmpty
        $w2 | Should -Not -BeNullOrEmpty
    }

    It 'stops a seeder and forgets it' {
        $made = New-MurderTorrent -Tag StopMe -Path $source -Tracker $tracker -OutputDirectory (Join-Path $work 'stopme')
        $running = Start-MurderSeeding -Tag StopMe -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath
        Stop-MurderSeeding -Tag StopMe
        Test-ProcessAlive $running.ProcessId | Should -BeFalse
        Stop-MurderSeeding -Tag StopMe -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Not -BeNullOrEmpty
    }
}

Describe 'Invoke-MurderPeer' {
    It 'refuses a non-empty target before downloading anything' {
        $destination = Join-Path $work 'full'
        New-Item -ItemType Directory (Join-Path $destination 'Good') -Force | Out-Null
        Set-Content (Join-Path $destination 'Good/keep.txt') 'previous release'
        $temp = Join-Path $work 'temp-full'
        { Invoke-MurderPeer -Tag Good -DestinationPath $destination -TorrentPath $good.TorrentPath -TempPath $temp -SeedSeconds 0 } | Should -Throw -ErrorId 'DestinationNotEmpty,Murder.Cmdlets.Commands.InvokeMurderPeerCommand'
        Test-Path (Join-Path $temp 'Good.tgz') | Should -BeFalse
        Get-Content (Join-Path $destination 'Good/keep.txt') | Should -Be 'previous release'
    }

    It 'replaces a non-empty target with -UnsafePleaseDelete, and extracts without the tag directory with -NoTagDirectory' {
        $destination = Join-Path $work 'replace'
        New-Item -ItemType Directory $destination -Force | Out-Null
        Set-Content (Join-Path $destination 'old.txt') 'old'
        $result = Invoke-MurderPeer -Tag Good -DestinationPath $destination -TorrentPath $good.TorrentPath -TempPath (Join-Path $work 'temp-replace') -NoTagDirectory -UnsafePleaseDelete -SeedSeconds 0
        $result.Destination | Should -Be $destination
        Test-Path (Join-Path $destination 'old.txt') | Should -BeFalse
        (Compare-DirectoryTree $destination).Keys -join ',' | Should -Be ((Compare-DirectoryTree $source).Keys -join ',')
        Get-ChildItem $work -Filter '.murder-*' -Force | Should -BeNullOrEmpty
    }

    It 'refuses an artifact with a ../ entry and writes nothing outside or into the target' {
        $evil = Join-Path $work 'evil.tgz'
        $file = [IO.File]::Create($evil)
        $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionLevel]::Fastest)
        $tar = [System.Formats.Tar.TarWriter]::new($gzip, [System.Formats.Tar.TarEntryFormat]::Pax, $false)
        foreach ($name in 'ok.txt', '../escaped.txt') {
            $entry = [System.Formats.Tar.PaxTarEntry]::new([System.Formats.Tar.TarEntryType]::RegularFile, $name)
            $entry.DataStream = [IO.MemoryStream]::new([Text.Encoding]::ASCII.GetBytes('payload'))
            $tar.WriteEntry($entry)
        }
        $tar.Dispose(); $gzip.Dispose(); $file.Dispose()
        $made = New-MurderTorrent -Tag Evil -Path $evil -Tracker $tracker -OutputDirectory (Join-Path $work 'evil-seed')
        Start-MurderSeeding -Tag Evil -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath | Out-Null
        $destination = Join-Path $work 'victim'
        { Invoke-MurderPeer -Tag Evil -DestinationPath $destination -TorrentPath $made.TorrentPath -TempPath (Join-Path $work 'temp-evil') -SeedSeconds 0 } | Should -Throw -ErrorId 'UnsafeArchiveEntry,Murder.Cmdlets.Commands.InvokeMurderPeerCommand'
        Test-Path (Join-Path $destination 'Evil') | Should -BeFalse
        Test-Path (Join-Path $destination 'escaped.txt') | Should -BeFalse
        Test-Path (Join-Path $work 'escaped.txt') | Should -BeFalse
        Get-ChildItem $destination -Force -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'gives up with DownloadStalled when no seeder runs, keeping nothing half-extracted' {
        $lonely = New-MurderTorrent -Tag Lonely -Path $source -Tracker $tracker -OutputDirectory (Join-Path $work 'lonely-seed')
        $destination = Join-Path $work 'lonely-dest'
        $failure = { Invoke-MurderPeer -Tag Lonely -DestinationPath $destination -TorrentPath $lonely.TorrentPath -TempPath (Join-Path $work 'lonely-temp') -SeedSeconds 0 -StallTimeoutSeconds 5 } | Should -Throw -ErrorId 'DownloadStalled,Murder.Cmdlets.Commands.InvokeMurderPeerCommand' -PassThru
        $failure.Exception.Message | Should -Match 'Start-MurderSeeding'
        Test-Path (Join-Path $destination 'Lonely') | Should -BeFalse
    }

    It 'rejects a bad tag with InvalidTag' {
        { Invoke-MurderPeer -Tag '../x' -DestinationPath $work } | Should -Throw -ErrorId 'InvalidTag,Murder.Cmdlets.Commands.InvokeMurderPeerCommand'
    }
}
