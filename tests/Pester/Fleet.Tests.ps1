# Murder across a fleet of test hosts: five network namespaces on a private bridge (198.18.0.0/15,
# connected to nothing else), each with its own sshd and its own /srv (see TestFleet.psm1). The
# control machine is this process. Covers Install-MurderModule, every remote cmdlet, a whole
# Invoke-MurderDeploy over SSH (-ComputerName, hosts from the pipeline) and over PSRemoting-over-SSH
# sessions, -Retry from the tracker's deploy ledger, and the failures: an unreachable host, a rejected
# key, a wrong host key and a host without the module. Then the fleet flow: short launches with a
# ThrottleLimit below the fleet (one swarm), a host killed mid-download (HostLost), a killed control
# session re-attached with Get-/Wait-MurderDeploy, a re-run on finished hosts, a host whose sshd is
# down. Skips, saying why, where namespaces cannot be made.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
    $script:skipReason = Get-TestFleetSkipReason
    if ($skipReason) { Write-Host "    Fleet tests skipped: $skipReason" }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
    Import-MurderUnderTest
    $script:fleet = $null
    if (Get-TestFleetSkipReason) { return }
    $script:work = New-TestDirectory -Prefix murder-fleet
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'control-state'
    $script:fleet = New-TestFleet -WorkPath $work.FullName -Count 5
    $script:h = @($fleet.Hosts | ForEach-Object Address)
    # Host 5 accepts a different key only: our key is rejected there.
    Copy-Item -LiteralPath "$($fleet.OtherKey).pub" -Destination $fleet.Hosts[4].AuthorizedKeys -Force
    $script:config = New-TestFleetConfig -Fleet $fleet -Peers $h[0..3]
    $script:source = Join-Path $work 'release'
    New-SampleTree -Path $source -BinaryBytes 3MB
    $script:expected = Compare-DirectoryTree $source

    function script:Assert-Release([int[]] $Indexes, [string] $Tag) {
        foreach ($index in $Indexes) {
            $released = Join-Path $fleet.Hosts[$index].Srv "releases/$Tag"
            $actual = Compare-DirectoryTree $released
            ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',') -Because "host $($index + 1) has every file of $Tag"
            foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because "$key on host $($index + 1)" }
        }
    }
}

AfterAll {
    if ($fleet) {
        Get-PSSession | Remove-PSSession -ErrorAction Ignore
        Remove-TestFleet $fleet
        $env:MURDER_STATE_DIR = $savedState
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
        # New-MurderTorrent -ComputerName brings each torrent back to TempPath here too (/srv/tmp of the config).
        Remove-Item -Path '/srv/tmp/Steps.tgz.torrent', '/srv/tmp/Agent1.tgz.torrent' -Force -ErrorAction Ignore
        if (-not (Get-ChildItem -LiteralPath '/srv/tmp' -Force -ErrorAction Ignore)) { Remove-Item -LiteralPath '/srv/tmp' -ErrorAction Ignore }
    }
}

Describe 'Murder on a fleet of test hosts' -Tag Fleet -Skip:([bool] $skipReason) {
    It 'installs the module on the named hosts only, and replaces an older copy whole' {
        $installed = @(Install-MurderModule -ConfigPath $config -ComputerName $h[0], $h[1], $h[2])
        $installed.Count | Should -Be 3
        ($installed.ComputerName | Sort-Object) -join ',' | Should -Be (($h[0..2] | Sort-Object) -join ',')
        $installed | ForEach-Object { $_.Replaced | Should -BeFalse; $_.Path | Should -Be '/srv/murder' }
        foreach ($index in 0..2) { Join-Path $fleet.Hosts[$index].Srv 'murder/Murder.psd1' | Should -Exist }
        Join-Path $fleet.Hosts[3].Srv 'murder' | Should -Not -Exist
        # An upload carries no file modes; the install makes the native agent executable, so Linux x86_64 hosts run it.
        if (Test-Path -LiteralPath (Join-Path (Split-Path $env:MURDER_MODULE_PATH) 'bin/linux-x64/murder-agent')) {
            [IO.File]::GetUnixFileMode((Join-Path $fleet.Hosts[0].Srv 'murder/bin/linux-x64/murder-agent')) -band [IO.UnixFileMode]::UserExecute | Should -Not -Be 0
        }

        $again = Install-MurderModule -ConfigPath $config -ComputerName $h[0]
        $again.Replaced | Should -BeTrue
        @(Get-ChildItem -LiteralPath $fleet.Hosts[0].Srv | Where-Object Name -Like 'murder.*').Count | Should -Be 0 -Because 'no staging or old copy is left beside it'
    }

    It 'reports a host without the module as its own error while the others go on' {
        $warnings = @(Stop-MurderPeering -ConfigPath $config -ComputerName $h[2], $h[3] -ErrorVariable failures -ErrorAction SilentlyContinue 3>&1)
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'RemoteModuleNotFound*'
        $failures[0].TargetObject | Should -Be $h[3]
        "$warnings" | Should -BeLike "*$($h[2]): No lingering peer*"
        $null = Install-MurderModule -ConfigPath $config -ComputerName $h[3]
    }

    It 'reports an unreachable host and a rejected key as errors of those hosts, from pipeline input' {
        $hostsFile = Join-Path $work 'hosts.txt'
        Set-Content -LiteralPath $hostsFile -Value $fleet.Unreachable, $h[4], $h[0]
        $null = Get-Content -LiteralPath $hostsFile | Stop-MurderPeering -ConfigPath $config -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $failures.Count | Should -Be 2
        ($failures | Where-Object TargetObject -EQ $fleet.Unreachable).FullyQualifiedErrorId | Should -BeLike 'HostUnreachable*'
        ($failures | Where-Object TargetObject -EQ $h[4]).FullyQualifiedErrorId | Should -BeLike 'SshAuthenticationFailed*'
    }

    It 'checks host keys: a wrong key is refused, an unknown one too unless -NoHostKeyCheck' {
        $wrong = Join-Path $work 'known_hosts_wrong'
        $otherHostKey = (Get-Content -LiteralPath "$($fleet.Hosts[1].HostKey).pub" -Raw).Trim()
        Set-Content -LiteralPath $wrong -Value "$($h[0]) $otherHostKey"
        $wrongConfig = New-TestFleetConfig -Fleet $fleet -Peers $h[0] -Path (Join-Path $work 'wrong.psd1') -KnownHosts $wrong
        $null = Stop-MurderPeering -ConfigPath $wrongConfig -ComputerName $h[0] -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyMismatch*'
        $failures[0].TargetObject | Should -Be $h[0]

        $empty = Join-Path $work 'known_hosts_empty'
        Set-Content -LiteralPath $empty -Value ''
        $unknownConfig = New-TestFleetConfig -Fleet $fleet -Peers $h[0] -Path (Join-Path $work 'unknown.psd1') -KnownHosts $empty
        $null = Stop-MurderPeering -ConfigPath $unknownConfig -ComputerName $h[0] -ErrorVariable unknown -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $unknown[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyUnknown*'
        $null = Stop-MurderPeering -ConfigPath $unknownConfig -ComputerName $h[0] -NoHostKeyCheck -ErrorVariable skipped -WarningAction SilentlyContinue
        $skipped.Count | Should -Be 0
    }

    It 'changes nothing with -WhatIf' {
        $result = Invoke-MurderDeploy -ConfigPath $config -Tag WhatIfTag -LocalPath $source -WhatIf
        $result | Should -BeNullOrEmpty
        foreach ($index in 0..3) { Join-Path $fleet.Hosts[$index].Srv 'releases/WhatIfTag' | Should -Not -Exist }
        Join-Path $fleet.Hosts[0].Srv 'tmp/murder-upload-WhatIfTag' | Should -Not -Exist
    }

    It 'deploys to every host over SSH, reports the failing one, and -Retry finishes it' {
        $names = @($h[0..3]) + $h[4]
        $results = @($names | Invoke-MurderDeploy -ConfigPath $config -Tag Ssh1 -LocalPath $source -ErrorVariable failures -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 5
        @($results | Where-Object Status -EQ 'Succeeded').Count | Should -Be 4
        $failed = $results | Where-Object Status -EQ 'Failed'
        $failed.ComputerName | Should -Be $h[4]
        $failed.ErrorId | Should -Be 'SshAuthenticationFailed'
        ($failures | Where-Object TargetObject -EQ $h[4]) | Should -Not -BeNullOrEmpty
        $results | Where-Object Status -EQ 'Succeeded' | ForEach-Object { $_.Bytes | Should -BeGreaterThan 0; $_.Destination | Should -Be '/srv/releases/Ssh1' }
        Assert-Release -Indexes 0, 1, 2, 3 -Tag Ssh1
        foreach ($index in 0..3) {
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'tmp')).Count | Should -Be 0 -Because "temporary files are removed on host $($index + 1)"
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'state/processes') -Filter '*Ssh1*' -ErrorAction Ignore).Count | Should -Be 0 -Because 'seeding and lingering peers were stopped'
        }
        Join-Path $fleet.Hosts[4].Srv 'releases/Ssh1' | Should -Not -Exist

        # Let host 5 accept our key, give it the module, and retry: only host 5 runs.
        Copy-Item -LiteralPath "$($fleet.ClientKey).pub" -Destination $fleet.Hosts[4].AuthorizedKeys -Force
        $null = Install-MurderModule -ConfigPath $config -ComputerName $h[4]
        $retried = @($names | Invoke-MurderDeploy -ConfigPath $config -Tag Ssh1 -LocalPath $source -Retry)
        $retried.Count | Should -Be 1
        $retried[0].ComputerName | Should -Be $h[4]
        $retried[0].Status | Should -Be 'Succeeded'
        Assert-Release -Indexes 4 -Tag Ssh1
        Invoke-MurderDeploy -ConfigPath $config -Tag Ssh1 -LocalPath $source -Retry -WarningVariable nothingLeft -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$nothingLeft" | Should -BeLike '*nothing to retry*'
        # The ledger, not this machine, holds the record: every host's word over Ssh1's deploys
        # (the retry packed the release again, which may be a new torrent).
        $entries = @(Get-MurderDeploy -Tracker "$($h[0]):8998" | Where-Object Tag -EQ Ssh1 | Get-MurderDeploy -Tracker "$($h[0]):8998")
        ($entries.Host | Sort-Object -Unique) -join ',' | Should -Be (($names | Sort-Object) -join ',')
        @($entries | Where-Object { $_.Host -eq $h[4] -and $_.Stage -in 'Seeding', 'Done' }).Count | Should -BeGreaterThan 0
    }

    It 'runs each Murder step remotely with -ComputerName' {
        $tracker = Start-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8999 -Open
        $tracker.ComputerName | Should -Be $h[0]
        $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Steps -Path '/srv/releases/Ssh1' -Tracker "$($h[0]):8999" -OutputDirectory '/srv/steps'
        $made.ComputerName | Should -Be $h[0]
        Join-Path $fleet.Hosts[0].Srv 'steps/Steps.tgz.torrent' | Should -Exist
        $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Steps -TempPath '/srv/steps' -OutputDirectory $work
        $saved.FullName | Should -Be (Join-Path $work 'Steps.tgz.torrent')
        $seeding = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Steps -TorrentPath '/srv/steps/Steps.tgz.torrent' -ArtifactPath '/srv/steps/Steps.tgz'
        $seeding.ComputerName | Should -Be $h[0]
        $peers = @(Invoke-MurderPeer -ConfigPath $config -ComputerName $h[1], $h[2], $h[3] -Tag Steps -DestinationPath '/srv/releases' -TorrentPath $saved.FullName -TempPath '/srv/steps' -SeedSeconds 60)
        $peers.Count | Should -Be 3
        $peers | ForEach-Object { $_.Status | Should -Be 'Succeeded'; $_.Bytes | Should -Be $made.Size }
        Assert-Release -Indexes 1, 2, 3 -Tag Steps
        Stop-MurderPeering -ConfigPath $config -ComputerName $h[1], $h[2], $h[3] -Tag Steps
        Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Steps
        Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8999
        foreach ($index in 0..3) {
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'state/processes') -Filter '*Steps*' -ErrorAction Ignore).Count | Should -Be 0
        }
        Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[0].Srv 'state/processes') -Filter 'tracker-8999*' -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'runs peers over SSH in the agent, with no PowerShell on the peer, and in PowerShell where dotnet is missing' {
        $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8997 -Open
        try {
            $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -Path '/srv/releases/Ssh1' -Tracker "$($h[0]):8997" -OutputDirectory '/srv/agent'
            $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -TempPath '/srv/agent' -OutputDirectory $work
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -TorrentPath '/srv/agent/Agent1.tgz.torrent' -ArtifactPath '/srv/agent/Agent1.tgz'
            $peerArguments = @{ Tag = 'Agent1'; DestinationPath = '/srv/releases'; TorrentPath = $saved.FullName; TempPath = '/srv/agent'; SeedSeconds = 60 }

            # PowerShell cannot start on this host: only the agent can have done the work.
            $noPwsh = New-TestFleetConfig -Fleet $fleet -Peers $h[1] -Path (Join-Path $work 'nopwsh.psd1') -RemotePwshPath '/nonexistent/pwsh'
            $peer = Invoke-MurderPeer -ConfigPath $noPwsh -ComputerName $h[1] @peerArguments
            $peer.Status | Should -Be 'Succeeded'
            $peer.Bytes | Should -Be $made.Size
            $peer.Destination | Should -Be '/srv/releases/Agent1'
            $peer.Stage | Should -Be 'Seeding'
            $peer.InfoHash | Should -Be $made.InfoHash
            Assert-Release -Indexes 1 -Tag Agent1
            # It keeps seeding after the SSH command returned, as a lingering peer Stop-MurderPeering finds.
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[1].Srv 'state/processes') -Filter 'peer-Agent1*').Count | Should -Be 1

            # No dotnet there: the same command runs in PowerShell.
            $noDotnet = New-TestFleetConfig -Fleet $fleet -Peers $h[2] -Path (Join-Path $work 'nodotnet.psd1') -RemoteDotnetPath '/nonexistent/dotnet'
            $fallback = Invoke-MurderPeer -ConfigPath $noDotnet -ComputerName $h[2] @peerArguments
            $fallback.Status | Should -Be 'Succeeded'
            $fallback.Bytes | Should -Be $made.Size
            Assert-Release -Indexes 2 -Tag Agent1

            # The agent's errors come back with their ErrorId, as errors of the host: another release
            # with the same tag at a non-empty target is refused before anything is downloaded.
            New-SampleTree -Path (Join-Path $fleet.Hosts[0].Srv 'other-release') -BinaryBytes 100KB
            $other = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -Path '/srv/other-release' -Tracker "$($h[0]):8997" -OutputDirectory '/srv/agent-other'
            $otherSaved = Save-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -TempPath '/srv/agent-other' -OutputDirectory (New-Item -ItemType Directory (Join-Path $work 'other') -Force)
            $other.InfoHash | Should -Not -Be $made.InfoHash
            # Only a seeded release is handed out (a torrent nobody seeds is TorrentNotSeeded before any host starts).
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -WarningAction SilentlyContinue
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -TorrentPath '/srv/agent-other/Agent1.tgz.torrent' -ArtifactPath '/srv/agent-other/Agent1.tgz'
            $refused = @(Invoke-MurderPeer -ConfigPath $noPwsh -ComputerName $h[1] @peerArguments -TorrentPath $otherSaved.FullName -HostLostSeconds 30 -ErrorVariable failures -ErrorAction SilentlyContinue)
            $refused.Count | Should -Be 1
            $refused[0].Status | Should -Be 'Failed'
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotEmpty*'
            $failures[0].TargetObject | Should -Be $h[1]
            "$($failures[0])" | Should -BeLike "$($h[1]): *"
        }
        finally {
            Stop-MurderPeering -ConfigPath $config -ComputerName $h[1], $h[2] -Tag Agent1 -WarningAction SilentlyContinue
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag Agent1 -WarningAction SilentlyContinue
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8997 -WarningAction SilentlyContinue
        }
        foreach ($index in 1, 2) {
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'state/processes') -Filter '*Agent1*' -ErrorAction Ignore).Count | Should -Be 0
        }
    }

    It 'deploys through PowerShell-over-SSH sessions' {
        $sessions = foreach ($address in $h[0..3]) {
            New-PSSession -HostName $address -UserName root -KeyFilePath $fleet.ClientKey -ErrorAction Stop -Options @{
                UserKnownHostsFile = $fleet.KnownHosts; StrictHostKeyChecking = 'yes'; ConnectTimeout = '10'
            }
        }
        try {
            $results = @(Invoke-MurderDeploy -ConfigPath $config -Session $sessions -Tag Remoting1 -LocalPath $source)
            $results.Count | Should -Be 4
            $results | ForEach-Object { $_.Status | Should -Be 'Succeeded' }
            ($results.ComputerName | Sort-Object) -join ',' | Should -Be (($h[0..3] | Sort-Object) -join ',')
            Assert-Release -Indexes 0, 1, 2, 3 -Tag Remoting1
            foreach ($index in 0..3) { @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'tmp')).Name -join ',' | Should -BeNullOrEmpty -Because "temporary files are removed on host $($index + 1)" }
        }
        finally {
            $sessions | Remove-PSSession
        }
    }
}

Describe 'A fleet deploy followed through the deploy ledger' -Tag Fleet -Skip:([bool] $skipReason) {
    BeforeAll {
        # Every host has our key and the module (the tests above leave host 5 fixed); a tracker and a
        # seeder on host 1 that uploads at most 4 MB/s, so a 32 MB release takes every peer at least
        # 8 s to get: long enough to see the downloads overlap, and to kill a host mid-download.
        Copy-Item -LiteralPath "$($fleet.ClientKey).pub" -Destination $fleet.Hosts[4].AuthorizedKeys -Force
        $null = Install-MurderModule -ConfigPath $config -ComputerName $h
        $script:trackerAddress = "$($h[0]):8996"
        $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8996 -Open
        $big = Join-Path $fleet.Hosts[0].Srv 'big'
        $null = New-Item -ItemType Directory -Path $big -Force
        $bytes = [byte[]]::new(32MB)
        [System.Random]::new(7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $big 'data.bin'), $bytes)
        $script:expectedBig = Compare-DirectoryTree $big
        $script:throttled = New-TestFleetConfig -Fleet $fleet -Peers $h -Path (Join-Path $work 'throttled.psd1') -ThrottleLimit 2

        function script:New-SlowRelease([string] $Tag) {
            $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $Tag -Path '/srv/big' -Tracker $trackerAddress -OutputDirectory "/srv/seed-$Tag" -CompressionLevel NoCompression
            $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $Tag -TempPath "/srv/seed-$Tag" -OutputDirectory $work
            # Registered, so the ledger knows its name and tag (an open tracker alone knows only its info-hash).
            $null = Register-MurderTorrent -Path $saved.FullName -TorrentDirectory (Join-Path $fleet.Hosts[0].Srv 'state/tracker-8996/torrents') -Force
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $Tag -TorrentPath "/srv/seed-$Tag/$Tag.tgz.torrent" -ArtifactPath "/srv/seed-$Tag/$Tag.tgz" -MaxUploadRate 4MB
            [pscustomobject]@{ Made = $made; Torrent = $saved.FullName }
        }

        function script:Assert-BigRelease([int[]] $Indexes, [string] $Tag) {
            foreach ($index in $Indexes) {
                $actual = Compare-DirectoryTree (Join-Path $fleet.Hosts[$index].Srv "releases/$Tag")
                foreach ($key in $expectedBig.Keys) { $actual[$key] | Should -Be $expectedBig[$key] -Because "$key on host $($index + 1)" }
            }
        }
    }

    AfterAll {
        if ($fleet) {
            Stop-MurderPeering -ConfigPath $config -ComputerName $h -All -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -All -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8996 -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        }
    }

    It 'starts more hosts than ThrottleLimit into one swarm, one result per host, and a re-run succeeds without downloading' {
        $release = New-SlowRelease Swarm1
        $peerArguments = @{ Tag = 'Swarm1'; DestinationPath = '/srv/releases'; TorrentPath = $release.Torrent; TempPath = '/srv/tmp-Swarm1'; SeedSeconds = 60 }
        $started = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(Invoke-MurderPeer -ConfigPath $throttled -ComputerName $h @peerArguments)
        $results.Count | Should -Be 5
        ($results.ComputerName | Sort-Object) -join ',' | Should -Be (($h | Sort-Object) -join ',')
        $results | ForEach-Object {
            $_.Status | Should -Be 'Succeeded'
            $_.Bytes | Should -Be $release.Made.Size
            $_.InfoHash | Should -Be $release.Made.InfoHash
            $_.Destination | Should -Be '/srv/releases/Swarm1'
        }
        # One swarm: every host had started before any had finished (the ledger's first and last reports).
        $lastStart = ($results.FirstReportUtc | Measure-Object -Maximum).Maximum
        $firstEnd = ($results.LastReportUtc | Measure-Object -Minimum).Minimum
        $lastStart | Should -BeLessThan $firstEnd -Because 'the downloads of all 5 hosts overlap although only 2 SSH connections were open at a time'
        Assert-BigRelease -Indexes 0, 1, 2, 3, 4 -Tag Swarm1
        # Each host's log says how long after this session's Invoke-MurderPeer began its peer started
        # (one clock here): the launch's latency, for whoever reads a host's log.
        foreach ($index in 0..4) {
            $line = Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[$index].Srv 'state/logs') -Filter 'peer-Swarm1-*.log' |
                Select-String -Pattern 'started \S+ s ago, (\S+) s after Invoke-MurderPeer began' | Select-Object -First 1
            $line | Should -Not -BeNullOrEmpty -Because "host $($index + 1)'s peer log names the launch's latency"
            [double] $line.Matches[0].Groups[1].Value | Should -BeGreaterThan 0 -Because 'a peer starts after an SSH connection has been made to its host'
            [double] $line.Matches[0].Groups[1].Value | Should -BeLessThan $started.Elapsed.TotalSeconds
        }

        # The same release again: nothing to download, success (done) on every host.
        $again = @(Invoke-MurderPeer -ConfigPath $throttled -ComputerName $h[1], $h[2] @peerArguments)
        $again.Count | Should -Be 2
        $again | ForEach-Object { $_.Status | Should -Be 'Succeeded'; $_.Stage | Should -Be 'Done' }
        Assert-BigRelease -Indexes 1, 2 -Tag Swarm1
    }

    It 'ends a host killed mid-download as HostLost while the others complete, without hanging' {
        $release = New-SlowRelease Lost1
        $victim = $fleet.Hosts[3]
        $killer = Start-ThreadJob -ArgumentList $trackerAddress, $release.Made.InfoHash, $victim.Address, $victim.Namespace -ScriptBlock {
            param($Tracker, $InfoHash, $Name, $Namespace)
            $deadline = [DateTime]::UtcNow.AddSeconds(180)
            while ([DateTime]::UtcNow -lt $deadline) {
                $page = try { Invoke-RestMethod "http://$Tracker/deploy?info_hash=$InfoHash" -TimeoutSec 5 } catch { $null }
                if ($page -and @($page.entries | Where-Object { $_.host -eq $Name -and $_.stage -eq 'downloading' }).Count -gt 0) {
                    foreach ($round in 1..3) { foreach ($id in @(& ip netns pids $Namespace)) { & kill -9 $id 2>$null }; Start-Sleep -Milliseconds 200 }
                    return 'killed'
                }
                Start-Sleep -Milliseconds 200
            }
            'not seen downloading'
        }
        try {
            $started = [DateTime]::UtcNow
            $results = @(Invoke-MurderPeer -ConfigPath $throttled -ComputerName $h[1..4] -Tag Lost1 -DestinationPath '/srv/releases' -TorrentPath $release.Torrent -TempPath '/srv/tmp-Lost1' -SeedSeconds 60 -HostLostSeconds 15 -ErrorVariable failures -ErrorAction SilentlyContinue)
            $killer | Wait-Job -Timeout 60 | Receive-Job | Should -Be 'killed'
            $results.Count | Should -Be 4
            $lost = $results | Where-Object ComputerName -EQ $victim.Address
            $lost.Status | Should -Be 'Failed'
            $lost.ErrorId | Should -Be 'HostLost'
            @($failures | Where-Object TargetObject -EQ $victim.Address).FullyQualifiedErrorId | Should -BeLike 'HostLost*'
            @($results | Where-Object Status -EQ 'Succeeded').Count | Should -Be 3
            Assert-BigRelease -Indexes 1, 2, 4 -Tag Lost1
            ([DateTime]::UtcNow - $started).TotalSeconds | Should -BeLessThan 600 -Because 'a lost host never holds the deploy'
        }
        finally {
            $killer | Remove-Job -Force
            Restart-TestFleetHost $victim
        }

        # A host whose sshd is down fails with its SSH error, at once.
        Stop-TestFleetHost $victim
        try {
            $down = @(Invoke-MurderPeer -ConfigPath $config -ComputerName $victim.Address -Tag Lost1 -DestinationPath '/srv/releases' -TorrentPath $release.Torrent -TempPath '/srv/tmp-Lost1' -ErrorVariable unreachable -ErrorAction SilentlyContinue)
            $down.Count | Should -Be 1
            $down[0].ErrorId | Should -Be 'HostUnreachable'
            $unreachable[0].TargetObject | Should -Be $victim.Address
        }
        finally {
            Restart-TestFleetHost $victim
        }

        # This machine put that failure in the ledger too, so -Retry and Wait-MurderDeploy see it.
        (Get-MurderDeploy -Tracker $trackerAddress -InfoHash $release.Made.InfoHash | Where-Object Host -EQ $victim.Address).ErrorId | Should -Be 'HostUnreachable'
    }

    It 'loses nothing when the control session is killed: a new session re-attaches and sees every outcome' {
        $release = New-SlowRelease Detached1
        $pwsh = Get-PwshCommand
        $script = "Import-Module '$env:MURDER_MODULE_PATH'; Invoke-MurderPeer -ConfigPath '$throttled' -ComputerName $($h[1..4] -join ',') -Tag Detached1 -DestinationPath /srv/releases -TorrentPath '$($release.Torrent)' -TempPath /srv/tmp-Detached1 -SeedSeconds 60"
        $control = Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -PassThru -RedirectStandardOutput (Join-Path $work 'control.out') -RedirectStandardError (Join-Path $work 'control.err')
        try {
            Wait-Until -TimeoutSeconds 180 -Because 'every host started by the control session reports' -Condition {
                # Until the first report the ledger has no such deploy (DeployNotFound).
                $entries = try { @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $release.Made.InfoHash) } catch { @() }
                $entries.Count -eq 4
            }
            $control.Kill($true)
            $control.WaitForExit(10000) | Out-Null
            @(Get-MurderDeploy -Tracker $trackerAddress | Where-Object Tag -EQ Detached1).Count | Should -Be 1
            $entries = @(Get-MurderDeploy -Tracker $trackerAddress -Tag Detached1)
            @($entries | Where-Object { $_.Stage -notin 'Seeding', 'Done' }).Count | Should -BeGreaterThan 0 -Because 'the control session died mid-deploy'

            $results = @(Wait-MurderDeploy -Tracker $trackerAddress -Tag Detached1 -HostLostSeconds 60)
            $results.Count | Should -Be 4
            ($results.ComputerName | Sort-Object) -join ',' | Should -Be (($h[1..4] | Sort-Object) -join ',')
            $results | ForEach-Object { $_.Status | Should -Be 'Succeeded'; $_.Tag | Should -Be 'Detached1' }
            Assert-BigRelease -Indexes 1, 2, 3, 4 -Tag Detached1

            # A finished deploy re-attached: every outcome at once.
            @(Wait-MurderDeploy -Tracker $trackerAddress -InfoHash $release.Made.InfoHash).Count | Should -Be 4
        }
        finally {
            if (-not $control.HasExited) { $control.Kill($true) }
        }
    }
}
