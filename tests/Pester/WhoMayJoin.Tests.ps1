# Who may join a swarm: torrents are private (BEP 27) by default, and a tracker with a swarm secret
# accepts an announce only with the per-torrent key that New-MurderTorrent -SwarmSecret puts into
# the announce URL, so standard clients work when given the torrent and everyone else is refused.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RealClients.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-join'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:secret = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
    $script:trackerPort = Get-FreeTcpPort
    $script:tracker = Start-MurderTracker -Port $trackerPort -BindAddress 127.0.0.1 -Open -AnnounceInterval 2 -SwarmSecret $secret
    $script:source = Join-Path $work 'src'
    New-SampleTree -Path $source -BinaryBytes 512KB
    $script:keyed = New-MurderTorrent -Tag Keyed -Path $source -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'seed') -SwarmSecret $secret

    function Invoke-Announce([string] $Url, [string] $InfoHash) {
        $hash = -join ([Convert]::FromHexString($InfoHash) | ForEach-Object { '%{0:X2}' -f $_ })
        $separator = if ($Url.Contains('?')) { '&' } else { '?' }
        $uri = "$Url${separator}info_hash=$hash&peer_id=-XX0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=100&compact=1"
        [Text.Encoding]::Latin1.GetString((Invoke-WebRequest -Uri $uri -UseBasicParsing).RawContentStream.ToArray())
    }
}
AfterAll {
    Stop-RealClients
    Stop-MurderTestProcesses -TrackerPort $trackerPort
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Private torrents' -Tag Interop {
    It 'are private by default and public only with -Public' {
        $private = [Murder.Core.MetaInfo.MetaInfoReader]::Load($keyed.TorrentPath)
        $private.IsPrivate | Should -BeTrue
        $public = New-MurderTorrent -Tag Open1 -Path $source -Tracker localhost -OutputDirectory (Join-Path $work 'public') -Public
        [Murder.Core.MetaInfo.MetaInfoReader]::Load($public.TorrentPath).IsPrivate | Should -BeFalse
    }
}

Describe 'A swarm secret' -Tag Interop {
    It 'puts this torrent''s key, not the secret, into the announce URL' {
        $keyed.Tracker | Should -Match '[?&]murder_key=[0-9a-f]{32}$'
        (Get-Content -LiteralPath $keyed.TorrentPath -Raw) | Should -Not -Match 'battery'
        $other = New-MurderTorrent -Tag Keyed2 -Path (Join-Path $source 'README.md') -Tracker "127.0.0.1:$trackerPort" -OutputDirectory (Join-Path $work 'seed2') -SwarmSecret $secret
        ($other.Tracker -split 'murder_key=')[1] | Should -Not -Be (($keyed.Tracker -split 'murder_key=')[1])
    }

    It 'refuses announces without the key or with another torrent''s key' {
        $plain = "http://127.0.0.1:$trackerPort/announce"
        Invoke-Announce $plain $keyed.InfoHash | Should -Match 'failure reason.*swarm key'
        $wrongKey = "${plain}?murder_key=" + ('0' * 32)
        Invoke-Announce $wrongKey $keyed.InfoHash | Should -Match 'failure reason.*swarm key'
        Invoke-Announce $keyed.Tracker $keyed.InfoHash | Should -Not -Match 'failure reason'
    }

    It 'lets Murder peers and a standard client given the torrent through' {
        Start-MurderSeeding -Tag Keyed -TorrentPath $keyed.TorrentPath -ArtifactPath $keyed.ArtifactPath | Out-Null
        $result = Invoke-MurderPeer -Tag Keyed -DestinationPath (Join-Path $work 'dest') -TorrentPath $keyed.TorrentPath -TempPath (Join-Path $work 'temp') -SeedSeconds 0
        (Compare-DirectoryTree $result.Destination).Count | Should -Be (Compare-DirectoryTree $source).Count
        $missing = Test-RealClient aria2
        if ($missing) { Set-ItResult -Skipped -Because "the standard-client half needs aria2: $missing"; return }
        $aria = Start-RealClient -Client aria2 -Mode peer -TorrentPath $keyed.TorrentPath -DataPath (Join-Path $work 'aria2') -WorkPath $work
        Wait-RealClient $aria -TimeoutSeconds 120 | Should -BeTrue
        (Get-FileHash (Join-Path $work 'aria2/Keyed.tgz')).Hash | Should -Be (Get-FileHash $keyed.ArtifactPath).Hash
    }

    It 'keeps the secret off the background tracker''s command line' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'reads the command line from /proc, which only Linux has'; return }
        $commandLine = (Get-Content "/proc/$($tracker.ProcessId)/cmdline" -Raw) -replace "`0", ' '
        $commandLine | Should -Not -Match 'battery'
        $encoded = ($commandLine -split ' ') | Where-Object { $_ -match '^[A-Za-z0-9+/=]{40,}$' } | Select-Object -First 1
        if ($encoded) { [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($encoded)) | Should -Not -Match 'battery' }
    }
}
