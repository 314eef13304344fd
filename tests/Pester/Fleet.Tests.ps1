# Murder across a fleet of test hosts: five network namespaces on a private bridge (198.18.0.0/15,
# connected to nothing else), each with its own sshd and its own /srv (see TestFleet.psm1). The
# control machine is this process. Covers Install-MurderModule, every remote cmdlet, a whole
# Invoke-MurderDeploy over SSH (-ComputerName, hosts from the pipeline) and over PSRemoting-over-SSH
# sessions, -Retry, and the failures: an unreachable host, a rejected key, a wrong host key and a
# host without the module. Skips, saying why, where namespaces cannot be made.
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
            $peer.VerifiedAtUtc | Should -BeOfType [datetime]
            $peer.BytesReceived | Should -BeGreaterOrEqual $made.Size
            # Every byte received was either used once or counted as wasted, and the count reaches the control.
            ($peer.BytesReceived - $peer.BytesWasted) | Should -Be $made.Size
            Assert-Release -Indexes 1 -Tag Agent1
            # It keeps seeding after the SSH command returned, as a lingering peer Stop-MurderPeering finds.
            @(Get-ChildItem -LiteralPath (Join-Path $fleet.Hosts[1].Srv 'state/processes') -Filter 'peer-Agent1*').Count | Should -Be 1

            # The agent's errors come back with their ErrorId, as errors of the host.
            $null = Invoke-MurderPeer -ConfigPath $noPwsh -ComputerName $h[1] @peerArguments -ErrorVariable failures -ErrorAction SilentlyContinue
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotEmpty*'
            $failures[0].TargetObject | Should -Be $h[1]
            "$($failures[0])" | Should -BeLike "$($h[1]): *"

            # No dotnet there: the same command runs in PowerShell.
            $noDotnet = New-TestFleetConfig -Fleet $fleet -Peers $h[2] -Path (Join-Path $work 'nodotnet.psd1') -RemoteDotnetPath '/nonexistent/dotnet'
            $fallback = Invoke-MurderPeer -ConfigPath $noDotnet -ComputerName $h[2] @peerArguments
            $fallback.Status | Should -Be 'Succeeded'
            $fallback.Bytes | Should -Be $made.Size
            Assert-Release -Indexes 2 -Tag Agent1
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
