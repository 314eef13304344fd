BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
}

Describe 'New-MurderTorrent' {
    BeforeEach {
        $script:work = New-TestDirectory
        $script:source = Join-Path $work 'src'
        $script:out = Join-Path $work 'out'
        New-SampleTree -Path $source
    }
    AfterEach {
        Pop-Location -ErrorAction Ignore
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    }

    It 'packs a directory into OUT/TAG.tgz and OUT/TAG.tgz.torrent and describes them' {
        $result = New-MurderTorrent -Tag Deploy20260101 -Path $source -Tracker 127.0.0.1:8998 -OutputDirectory $out
        $result.Tag | Should -Be 'Deploy20260101'
        $result.ArtifactPath | Should -Be (Join-Path $out 'Deploy20260101.tgz')
        $result.TorrentPath | Should -Be (Join-Path $out 'Deploy20260101.tgz.torrent')
        $result.InfoHash | Should -Match '^[0-9a-f]{40}$'
        $result.Size | Should -Be (Get-Item $result.ArtifactPath).Length
        $result.PieceCount | Should -Be ([math]::Ceiling($result.Size / $result.PieceLength))
        $result.Tracker | Should -Be 'http://127.0.0.1:8998/announce'
        (Get-ChildItem $out).Name | Sort-Object | Should -Be @('Deploy20260101.tgz', 'Deploy20260101.tgz.torrent')
    }

    It 'writes an artifact GNU tar extracts to the same files, without .git entries' {
        if (-not (Get-Command tar -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'tar is missing: install Debian package tar'; return }
        $result = New-MurderTorrent -Tag t1 -Path $source -Tracker localhost -OutputDirectory $out
        $extracted = New-Item -ItemType Directory (Join-Path $work 'x')
        & tar -xzf $result.ArtifactPath -C $extracted
        $LASTEXITCODE | Should -Be 0
        $expected = Get-ChildItem $source -Recurse -File -Force | Where-Object { $_.FullName -notmatch '[\\/]\.git' } |
            ForEach-Object { [System.IO.Path]::GetRelativePath($source, $_.FullName) } | Sort-Object
        $actual = Get-ChildItem $extracted -Recurse -File -Force | ForEach-Object { [System.IO.Path]::GetRelativePath($extracted, $_.FullName) } | Sort-Object
        $actual | Should -Be $expected
        foreach ($file in $expected) {
            (Get-FileHash (Join-Path $extracted $file)).Hash | Should -Be (Get-FileHash (Join-Path $source $file)).Hash
        }
        Test-Path (Join-Path $extracted 'empty') -PathType Container | Should -BeTrue
        if (-not $IsWindows) {
            # The executable bit survives: a deployed script must still run.
            & chmod 755 (Join-Path $source 'app/bin/run.sh')
            $again = New-MurderTorrent -Tag t2 -Path $source -Tracker localhost -OutputDirectory $out
            $x2 = New-Item -ItemType Directory (Join-Path $work 'x2')
            & tar -xzf $again.ArtifactPath -C $x2
            (Get-Item (Join-Path $x2 'app/bin/run.sh')).UnixMode | Should -Be '-rwxr-xr-x'
        }
    }

    It 'resolves relative paths against the PowerShell location, not the process directory' {
        Push-Location $work
        $result = New-MurderTorrent -Tag rel -Path ./src -Tracker localhost:1 -OutputDirectory ./out
        $result.ArtifactPath | Should -Be (Join-Path $out 'rel.tgz')
        $result.SourcePath | Should -Be $source
    }

    It 'uses a file as the artifact as it is' {
        $file = Join-Path $work 'release.bin'
        [System.IO.File]::WriteAllBytes($file, [byte[]](1..255))
        $result = New-MurderTorrent -Tag asis -Path $file -Tracker localhost -OutputDirectory $out
        (Get-FileHash $result.ArtifactPath).Hash | Should -Be (Get-FileHash $file).Hash
        $result.Size | Should -Be 255
    }

    It 'defaults the output directory to TempPath: /tmp on Linux, the system temp directory elsewhere' {
        $tag = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $temp = if ($IsLinux) { '/tmp' } else { [System.IO.Path]::GetTempPath() }
        try {
            $result = New-MurderTorrent -Tag $tag -Path $source -Tracker localhost -WarningAction SilentlyContinue
            $result.ArtifactPath | Should -Be (Join-Path $temp "$tag.tgz")
            Test-Path $result.TorrentPath | Should -BeTrue
        }
        finally {
            Remove-Item (Join-Path $temp "$tag.tgz*") -Force -ErrorAction Ignore
        }
    }

    It 'writes into TempPath from ./murder.psd1 when it sets one' {
        $configured = New-Item -ItemType Directory -Path (Join-Path $work 'configured') -Force
        Set-Content -LiteralPath (Join-Path $configured 'murder.psd1') -Value "@{ TempPath = '$(Join-Path $configured 'temp')' }"
        Push-Location $configured
        try {
            $result = New-MurderTorrent -Tag configured1 -Path $source -Tracker localhost -WarningAction SilentlyContinue
            $result.TorrentPath | Should -Be (Join-Path $configured 'temp/configured1.tgz.torrent')
        }
        finally { Pop-Location }
    }

    It 'honours -PieceLength and -CompressionLevel' {
        $fast = New-MurderTorrent -Tag fast -Path $source -Tracker localhost -OutputDirectory $out -PieceLength 16384
        $stored = New-MurderTorrent -Tag stored -Path $source -Tracker localhost -OutputDirectory $out -CompressionLevel NoCompression
        $fast.PieceLength | Should -Be 16384
        $stored.Size | Should -BeGreaterThan $fast.Size
    }

    It 'accepts pipeline input by property name' {
        $rows = @(
            [pscustomobject]@{ Tag = 'p1'; Path = $source; Tracker = 'localhost'; OutputDirectory = $out }
            [pscustomobject]@{ Tag = 'p2'; Path = $source; Tracker = 'localhost'; OutputDirectory = $out }
        )
        $results = $rows | New-MurderTorrent
        $results.Tag | Should -Be @('p1', 'p2')
    }

    It 'writes nothing with -WhatIf' {
        New-MurderTorrent -Tag whatif -Path $source -Tracker localhost -OutputDirectory $out -WhatIf
        Test-Path $out | Should -BeFalse
    }

    It 'refuses to replace an existing artifact without -Force and replaces it with -Force' {
        $first = New-MurderTorrent -Tag same -Path $source -Tracker localhost -OutputDirectory $out
        { New-MurderTorrent -Tag same -Path $source -Tracker localhost -OutputDirectory $out } | Should -Throw -ErrorId 'ArtifactExists,Murder.Cmdlets.Commands.NewMurderTorrentCommand'
        Set-Content (Join-Path $source 'new.txt') 'changed'
        $second = New-MurderTorrent -Tag same -Path $source -Tracker localhost -OutputDirectory $out -Force
        $second.InfoHash | Should -Not -Be $first.InfoHash
    }

    It 'rejects <Case> with ErrorId <ErrorId> and leaves no files' -ForEach @(
        @{ Case = 'a tag with a slash'; Tag = 'a/b'; Tracker = 'localhost'; ErrorId = 'InvalidTag' }
        @{ Case = 'a tag with a Windows separator'; Tag = 'a\b'; Tracker = 'localhost'; ErrorId = 'InvalidTag' }
        @{ Case = 'the tag ..'; Tag = '..'; Tracker = 'localhost'; ErrorId = 'InvalidTag' }
        @{ Case = 'a tag with shell characters'; Tag = 'x;rm -rf ~'; Tracker = 'localhost'; ErrorId = 'InvalidTag' }
        @{ Case = 'a tracker with a bad scheme'; Tag = 'ok'; Tracker = 'ftp://x/announce'; ErrorId = 'InvalidTracker' }
        @{ Case = 'a tracker with a bad port'; Tag = 'ok'; Tracker = 'host:99999'; ErrorId = 'InvalidTracker' }
    ) {
        { New-MurderTorrent -Tag $Tag -Path $source -Tracker $Tracker -OutputDirectory $out } | Should -Throw -ErrorId "$ErrorId,Murder.Cmdlets.Commands.NewMurderTorrentCommand"
        Test-Path $out | Should -BeFalse
    }

    It 'rejects a piece length that is not a power of two' {
        { New-MurderTorrent -Tag ok -Path $source -Tracker localhost -OutputDirectory $out -PieceLength 100000 } | Should -Throw -ErrorId 'InvalidPieceLength,Murder.Cmdlets.Commands.NewMurderTorrentCommand'
    }

    It 'reports a missing source as PathNotFound' {
        { New-MurderTorrent -Tag ok -Path (Join-Path $work 'missing') -Tracker localhost -OutputDirectory $out } | Should -Throw -ErrorId 'PathNotFound,Murder.Cmdlets.Commands.NewMurderTorrentCommand'
    }

    It 'refuses a symbolic link that points outside the directory, leaving nothing behind' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'creating symbolic links on Windows needs Developer Mode or administrator rights'; return }
        New-Item -ItemType SymbolicLink -Path (Join-Path $source 'app/passwd') -Target '/etc/passwd' | Out-Null
        { New-MurderTorrent -Tag ok -Path $source -Tracker localhost -OutputDirectory $out } | Should -Throw -ErrorId 'UnsafeSymbolicLink,Murder.Cmdlets.Commands.NewMurderTorrentCommand'
        Test-Path $out | Should -BeFalse
    }

    It 'shows a readable default table' {
        $result = New-MurderTorrent -Tag table -Path $source -Tracker localhost -OutputDirectory $out
        $text = $result | Format-Table | Out-String -Width 250
        $text | Should -Match 'Tag\s+Size\s+Pieces\s+PieceLength\s+InfoHash\s+TorrentPath'
        $text | Should -Match ([regex]::Escape($result.InfoHash))
        $text | Should -Match '\d+(\.\d)? (B|KiB|MiB)'
    }

    It 'completes -Tag from the torrents in the output directory' {
        New-MurderTorrent -Tag complete-me -Path $source -Tracker localhost -OutputDirectory $out | Out-Null
        $line = "New-MurderTorrent -OutputDirectory '$out' -Tag compl"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'complete-me'
    }
}
