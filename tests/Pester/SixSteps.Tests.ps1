# Murder's six steps as the README shows them, with the default tracker (registered torrents only):
# on one machine, then over SSH on the test fleet with the tracker and the seeder on one host
# (Murder's default roles) and on different hosts. Also: a tracker that does not serve a torrent is
# one clear TorrentNotRegistered at once (seeder) or within 30 s (peer), one temp directory
# (TempPath) for every cmdlet, the torrent comes back to the control machine, and a stale torrent of
# the same tag is refused (StaleTorrent) before any host starts.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
    $script:fleetSkip = Get-TestFleetSkipReason
    if ($fleetSkip) { Write-Host "    Six steps over SSH skipped: $fleetSkip" }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-six'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'

    function script:Stop-Recorded([string] $StateDirectory) {
        # Every background process a test started in its own state directory, also after a failure.
        foreach ($record in Get-ChildItem -LiteralPath (Join-Path $StateDirectory 'processes') -Filter '*.json' -ErrorAction Ignore) {
            $processId = (Get-Content -LiteralPath $record.FullName -Raw | ConvertFrom-Json).ProcessId
            if ($processId) { Stop-Process -Id $processId -Force -ErrorAction Ignore }
        }
    }
}

AfterAll {
    Stop-Recorded (Join-Path $work 'state')
    Stop-Recorded (Join-Path $work 'other-state')
    Stop-Recorded (Join-Path $work 'steps/state')
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Murder''s six steps on one machine' -Tag SixSteps {
    It 'runs the README''s first example verbatim with the default tracker, and finishes' {
        # The README's lines, run by a fresh PowerShell in a directory whose murder.psd1 names
        # TempPath (so nothing lands in the real /tmp); tracker01 is this machine (localhost).
        # Where it can (root, Linux), the child gets a network namespace of its own, so port 8998
        # is free whatever else runs here.
        $steps = New-Item -ItemType Directory -Path (Join-Path $work 'steps')
        $source = Join-Path $steps 'releases/current'
        New-SampleTree -Path $source -BinaryBytes 2MB
        Set-Content -LiteralPath (Join-Path $steps 'murder.psd1') -Value "@{ TempPath = '$(Join-Path $steps 'tmp')' }"
        Set-Content -LiteralPath (Join-Path $steps 'six.ps1') -Value @'
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$env:MURDER_STATE_DIR = Join-Path $PSScriptRoot 'state'
Import-Module $env:MURDER_MODULE_PATH
$warnings = [System.Collections.Generic.List[object]]::new()
Start-MurderTracker                                   -WarningVariable +warnings | Out-Null
$made = New-MurderTorrent -Tag Deploy20260101 -Path ./releases/current -Tracker localhost:8998 -WarningVariable +warnings
$seeder = Start-MurderSeeding -Tag Deploy20260101     -WarningVariable +warnings
$peer = Invoke-MurderPeer -Tag Deploy20260101 -DestinationPath ./srv/releases -WarningVariable +warnings
# Another machine's peer: its own temp directory, so every byte comes through the swarm.
$other = Invoke-MurderPeer -Tag Deploy20260101 -DestinationPath ./other/releases -TempPath ./other/tmp -TorrentPath $made.TorrentPath -SeedSeconds 0 -WarningVariable +warnings
Stop-MurderSeeding -Tag Deploy20260101 | Out-Null
Stop-MurderPeering -Tag Deploy20260101 -WarningAction SilentlyContinue | Out-Null
$tracker = Get-MurderTracker
Stop-MurderTracker | Out-Null
[pscustomobject]@{
    Made = $made; Seeder = $seeder; Peer = $peer; Other = $other; Tracker = $tracker
    Warnings = @($warnings | ForEach-Object { "$_" })
} | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath (Join-Path $PSScriptRoot 'result.json')
'@
        $pwsh = @(Get-PwshCommand)
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $steps 'six.ps1'))
        $isolated = $IsLinux -and (& id -u) -eq '0' -and (Get-Command unshare -ErrorAction Ignore) -and (Get-Command ip -ErrorAction Ignore)
        if ($isolated) {
            $start = [System.Diagnostics.ProcessStartInfo]::new('unshare')
            foreach ($argument in @('--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'six') + $pwsh[0] + $arguments) { $start.ArgumentList.Add($argument) }
        }
        else {
            $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Any, 8998)
            try { $probe.Start(); $probe.Stop() }
            catch { Set-ItResult -Skipped -Because 'port 8998 is in use here and no network namespace can be made (needs root on Linux)'; return }
            $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
            foreach ($argument in $arguments) { $start.ArgumentList.Add($argument) }
        }
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($start)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        # Bounded: the steps must finish, not retry "unregistered torrent" (generous for a loaded machine).
        $finished = $process.WaitForExit(240000)
        if (-not $finished) { $process.Kill($true) }
        $finished | Should -BeTrue -Because "the six steps finish (output: $($stdout.Result) $($stderr.Result))"
        $process.ExitCode | Should -Be 0 -Because "$($stdout.Result) $($stderr.Result)"

        $result = Get-Content -LiteralPath (Join-Path $steps 'result.json') -Raw | ConvertFrom-Json
        $result.Warnings | Should -BeNullOrEmpty -Because 'the default tracker serves the torrent without anything else to run'
        # One temp directory: New-MurderTorrent wrote into TempPath, where the seeder and the peer looked.
        $temp = Join-Path $steps 'tmp'
        $result.Made.TorrentPath | Should -Be (Join-Path $temp 'Deploy20260101.tgz.torrent')
        $result.Seeder.TorrentPath | Should -Be $result.Made.TorrentPath
        $result.Peer.ArtifactPath | Should -Be (Join-Path $temp 'Deploy20260101.tgz')
        # Registered with the tracker on this machine: it listed the torrent, by name.
        $result.Tracker.InfoHash | Should -Be $result.Made.InfoHash
        $result.Tracker.Name | Should -Be 'Deploy20260101.tgz'
        $result.Other.BytesFromSeeders + $result.Other.BytesFromPeers | Should -Be $result.Made.Size -Because 'the other peer downloaded the release through the swarm'
        $expected = Compare-DirectoryTree $source
        foreach ($destination in 'srv/releases/Deploy20260101', 'other/releases/Deploy20260101') {
            $actual = Compare-DirectoryTree (Join-Path $steps $destination)
            ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',')
            foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because "$key in $destination" }
        }
        @(Get-ChildItem -LiteralPath (Join-Path $steps 'state/processes') -Filter '*.json' -ErrorAction Ignore).Count | Should -Be 0 -Because 'the tracker and seeder were stopped'
    }
}

Describe 'A torrent the tracker does not serve' -Tag SixSteps {
    BeforeAll {
        $script:port = Get-FreeTcpPort
        $null = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
        $script:source = Join-Path $work 'unregistered-src'
        New-SampleTree -Path $source -BinaryBytes 256KB
    }
    AfterAll {
        Stop-MurderTestProcesses -TrackerPort $port
    }

    It 'New-MurderTorrent registers with the tracker running here on the announce port' {
        $made = New-MurderTorrent -Tag Registered1 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'registered') -WarningVariable warned
        $warned | Should -BeNullOrEmpty
        (Get-MurderTracker -Port $port | Where-Object InfoHash -EQ $made.InfoHash).Name | Should -Be 'Registered1.tgz'
        # A new release of the same tag replaces the tag's registration: the earlier one is no longer served.
        Set-Content -LiteralPath (Join-Path $source 'version.txt') -Value 'two'
        $again = New-MurderTorrent -Tag Registered1 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'registered') -Force
        Remove-Item -LiteralPath (Join-Path $source 'version.txt')
        $served = @(Get-MurderTracker -Port $port | Where-Object Name -EQ 'Registered1.tgz')
        $served.InfoHash | Should -Be $again.InfoHash
    }

    It 'New-MurderTorrent warns with the exact command when no tracker runs here on the announce port' {
        $nowhere = Get-FreeTcpPort
        $made = New-MurderTorrent -Tag NoTracker1 -Path $source -Tracker "127.0.0.1:$nowhere" -OutputDirectory (Join-Path $work 'no-tracker') -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -BeLike "*not registered*Register-MurderTorrent -Path '$($made.TorrentPath)' -Port $nowhere*"
        "$warned" | Should -BeLike "*Register-MurderTorrent -ComputerName 127.0.0.1 -Path '$($made.TorrentPath)'*"
    }

    It 'a peer fails within 30 s with TorrentNotRegistered, saying how to register it' {
        $made = New-MurderTorrent -Tag NotServed1 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'not-served') -NoRegister
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $failure = { Invoke-MurderPeer -Tag NotServed1 -TorrentPath $made.TorrentPath -DestinationPath (Join-Path $work 'not-served-dest') -TempPath (Join-Path $work 'not-served-temp') -SeedSeconds 0 } |
            Should -Throw -ErrorId 'TorrentNotRegistered,Murder.Cmdlets.Commands.InvokeMurderPeerCommand' -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the issue''s bound for a refused torrent (a stall would take 300 s)'
        "$failure" | Should -BeLike "*$($made.InfoHash)*Register-MurderTorrent -Path*"
        Join-Path $work 'not-served-dest/NotServed1' | Should -Not -Exist
    }

    It 'Start-MurderSeeding refuses it with TorrentNotRegistered and starts nothing' {
        # The tracker runs, but not as one of this state directory's processes: nothing registers it here.
        $otherPort = Get-FreeTcpPort
        $env:MURDER_STATE_DIR = Join-Path $work 'other-state'
        try { $null = Start-MurderTracker -Port $otherPort -BindAddress 127.0.0.1 }
        finally { $env:MURDER_STATE_DIR = Join-Path $work 'state' }
        try {
            $made = New-MurderTorrent -Tag NotServed2 -Path $source -Tracker "127.0.0.1:$otherPort" -OutputDirectory (Join-Path $work 'not-served2') -WarningAction SilentlyContinue
            $failure = { Start-MurderSeeding -Tag NotServed2 -TorrentPath $made.TorrentPath -ArtifactPath $made.ArtifactPath } |
                Should -Throw -ErrorId 'TorrentNotRegistered,Murder.Cmdlets.Commands.StartMurderSeedingCommand' -PassThru
            "$failure" | Should -BeLike "*Register-MurderTorrent -Path '$($made.TorrentPath)' -Port $otherPort*"
            @(Get-ChildItem -LiteralPath (Join-Path $work 'state/processes') -Filter 'seeder-NotServed2*' -ErrorAction Ignore).Count | Should -Be 0
        }
        finally {
            $env:MURDER_STATE_DIR = Join-Path $work 'other-state'
            Stop-MurderTracker -Port $otherPort -WarningAction Ignore -ErrorAction Continue
            $env:MURDER_STATE_DIR = Join-Path $work 'state'
        }
    }
}

Describe 'Murder''s six steps over SSH' -Tag Fleet, SixSteps -Skip:([bool] $fleetSkip) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
        $script:controlTemp = '/srv/tmp'
        $script:createdControlTemp = -not (Test-Path -LiteralPath $controlTemp)
        $script:id = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:fleet = New-TestFleet -WorkPath (New-Item -ItemType Directory -Path (Join-Path $work 'fleet')).FullName -Count 4
        $script:h = @($fleet.Hosts | ForEach-Object Address)
        # TempPath /srv/tmp: each host's own (its /srv), and on this control machine the real /srv/tmp.
        $script:config = New-TestFleetConfig -Fleet $fleet -Peers $h
        $null = Install-MurderModule -ConfigPath $config -ComputerName $h
        # The release lives on the hosts that will seed it.
        foreach ($index in 0..3) { New-SampleTree -Path (Join-Path $fleet.Hosts[$index].Srv 'build/current') -BinaryBytes 1MB }
        $script:expected = Compare-DirectoryTree (Join-Path $fleet.Hosts[0].Srv 'build/current')
        function script:Assert-Release([int[]] $Indexes, [string] $Tag) {
            foreach ($index in $Indexes) {
                $actual = Compare-DirectoryTree (Join-Path $fleet.Hosts[$index].Srv "releases/$Tag")
                ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',') -Because "host $($index + 1) has every file of $Tag"
                foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because "$key on host $($index + 1)" }
            }
        }
        function script:Get-InfoHash([string] $TorrentPath) {
            # The info-hash as a peer computes it: Get-MurderTracker is not needed, the metainfo reader is.
            [Murder.Core.MetaInfo.MetaInfoReader]::Load($TorrentPath).InfoHash.ToHex()
        }
    }
    AfterAll {
        if ($fleet) { Remove-TestFleet $fleet }
        if ($id) { Get-ChildItem -LiteralPath $controlTemp -Filter "*$id*" -ErrorAction Ignore | Remove-Item -Force -ErrorAction Ignore }
        if ($createdControlTemp) { Remove-Item -LiteralPath $controlTemp -Recurse -Force -ErrorAction Ignore }
    }

    It 'tracker and seeder on one host (Murder''s default roles): the torrent comes back and one temp directory serves every step' {
        $tag = "Same$id"
        $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0]
        try {
            $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $tag -Path /srv/build/current -Tracker "$($h[0]):8998" -WarningVariable warned
            $warned | Should -BeNullOrEmpty -Because 'the torrent was registered with the tracker on the same host'
            $made.TorrentPath | Should -Be "/srv/tmp/$tag.tgz.torrent"
            # It came back to this machine's TempPath, byte for byte.
            $made.LocalTorrentPath | Should -Be (Join-Path $controlTemp "$tag.tgz.torrent")
            Get-InfoHash $made.LocalTorrentPath | Should -Be $made.InfoHash
            (Get-FileHash (Join-Path $fleet.Hosts[0].Srv "tmp/$tag.tgz.torrent")).Hash | Should -Be (Get-FileHash $made.LocalTorrentPath).Hash
            Join-Path $fleet.Hosts[0].Srv "state/tracker-8998/torrents/$tag.tgz.torrent" | Should -Exist

            $seeding = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $tag
            $seeding.ArtifactPath | Should -Be "/srv/tmp/$tag.tgz"
            $peers = @(Invoke-MurderPeer -ConfigPath $config -ComputerName $h[1], $h[2] -Tag $tag -DestinationPath /srv/releases)
            $peers.Count | Should -Be 2
            $peers | ForEach-Object { $_.Status | Should -Be 'Succeeded' }
            Assert-Release -Indexes 1, 2 -Tag $tag
            foreach ($index in 1, 2) { Join-Path $fleet.Hosts[$index].Srv "tmp/$tag.tgz" | Should -Exist -Because 'the peers download into TempPath' }
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $tag
        }
        finally {
            Stop-MurderPeering -ConfigPath $config -ComputerName $h[1], $h[2] -Tag $tag -WarningAction SilentlyContinue -ErrorAction Continue
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -WarningAction SilentlyContinue -ErrorAction Continue
        }
    }

    It 'tracker and seeder on different hosts: this machine registers the torrent with the tracker''s host' {
        $tag = "Apart$id"
        $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[1]
        try {
            $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[2] -Tag $tag -Path /srv/build/current -Tracker "$($h[1]):8998" -WarningVariable warned
            $warned | Should -BeNullOrEmpty
            Join-Path $fleet.Hosts[1].Srv "state/tracker-8998/torrents/$tag.tgz.torrent" | Should -Exist -Because 'registered on the tracker''s host'
            Get-InfoHash $made.LocalTorrentPath | Should -Be $made.InfoHash
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[2] -Tag $tag
            # As the README shows it: host names from a file, through the pipeline.
            $hostsFile = Join-Path $work 'hosts.txt'
            Set-Content -LiteralPath $hostsFile -Value $h[0], $h[3]
            $peers = @(Get-Content -LiteralPath $hostsFile | Invoke-MurderPeer -ConfigPath $config -Tag $tag -DestinationPath /srv/releases)
            $peers.Count | Should -Be 2
            $peers | ForEach-Object { $_.Status | Should -Be 'Succeeded' }
            Assert-Release -Indexes 0, 3 -Tag $tag
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[2] -Tag $tag
        }
        finally {
            Stop-MurderPeering -ConfigPath $config -ComputerName $h[0], $h[3] -Tag $tag -WarningAction SilentlyContinue -ErrorAction Continue
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[2] -Tag $tag -WarningAction SilentlyContinue -ErrorAction Continue
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[1] -WarningAction SilentlyContinue -ErrorAction Continue
        }
    }

    It 'refuses a stale torrent of the same tag with StaleTorrent, naming both info-hashes, and starts no host' {
        $tag = "Stale$id"
        $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0]
        try {
            $old = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $tag -Path /srv/build/current -Tracker "$($h[0]):8998"
            $stale = Join-Path $work "stale-$tag.torrent"
            Copy-Item -LiteralPath $old.LocalTorrentPath -Destination $stale
            # The next release of the same tag, seeded; then this machine holds the old torrent again.
            Set-Content -LiteralPath (Join-Path $fleet.Hosts[0].Srv 'build/current/version.txt') -Value 'next'
            $new = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $tag -Path /srv/build/current -Tracker "$($h[0]):8998" -Force
            Remove-Item -LiteralPath (Join-Path $fleet.Hosts[0].Srv 'build/current/version.txt')
            $new.InfoHash | Should -Not -Be $old.InfoHash
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $tag
            Copy-Item -LiteralPath $stale -Destination $new.LocalTorrentPath -Force

            $failure = { Invoke-MurderPeer -ConfigPath $config -ComputerName $h[1] -Tag $tag -DestinationPath /srv/releases } |
                Should -Throw -ErrorId 'StaleTorrent,Murder.Cmdlets.Commands.InvokeMurderPeerCommand' -PassThru
            "$failure" | Should -BeLike "*$($old.InfoHash)*$($new.InfoHash)*"
            Join-Path $fleet.Hosts[1].Srv "tmp/$tag.tgz.torrent" | Should -Not -Exist -Because 'nothing was uploaded'
            Join-Path $fleet.Hosts[1].Srv "releases/$tag" | Should -Not -Exist
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $tag
        }
        finally {
            Stop-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $tag -WarningAction SilentlyContinue -ErrorAction Continue
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -WarningAction SilentlyContinue -ErrorAction Continue
        }
    }
}
