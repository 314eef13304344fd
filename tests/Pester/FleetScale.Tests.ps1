# Murder on a rig of 101 test hosts (TestFleet.psm1, built in bulk): host 1 runs the tracker and the
# seeder, hosts 2 to 101 are the fleet. Every peer's link is capped at 0.5 Mbit/s both ways with tc tbf
# (as bench/swarm does), so a 4 MiB release takes each peer over a minute to get: longer than launching
# 100 hosts over 16 SSH connections takes on a loaded 2-core machine, so the downloads must overlap if
# the fleet is one swarm.
# Proves issue 13's rig: one result per host, every tree checked, and the ledger sampled during the
# run shows at least 90 hosts downloading at the same moment. Then a fault: the tracker restarted
# mid-deploy keeps its ledger, and the deploy completes. Skips, saying why, where namespaces cannot
# be made, and unless MURDER_FLEET_SCALE=1: the rig takes about 6 minutes on a loaded 2-core machine,
# more than the default run can add and stay under 20 minutes.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
    $script:skipReason = Get-TestFleetSkipReason
    if (-not $skipReason -and $env:MURDER_FLEET_SCALE -ne '1') {
        $skipReason = 'the 100-host rig takes about 6 minutes; set MURDER_FLEET_SCALE=1 to run it (MURDER_FLEET_SCALE=1 ./build.ps1 -Task Test -PesterTag FleetScale)'
    }
    if ($skipReason) { Write-Host "    Fleet scale tests skipped: $skipReason" }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestFleet.psm1') -Force
    Import-MurderUnderTest
    $script:fleet = $null
    if ((Get-TestFleetSkipReason) -or $env:MURDER_FLEET_SCALE -ne '1') { return }
    $script:work = New-TestDirectory -Prefix murder-rig
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'control-state'
    # The module goes onto every host as hard links of the built one (Install-MurderModule is tested in Fleet.Tests).
    $script:fleet = New-TestFleet -WorkPath $work.FullName -Count 101 -ShareHostKey -RateMbit 0.5 -UncappedHosts 1 -ModulePath (Split-Path $env:MURDER_MODULE_PATH)
    Write-Host "    Rig of $($fleet.Hosts.Count) hosts built in $([Math]::Round($fleet.SetupSeconds, 1)) s"
    $script:h = @($fleet.Hosts | ForEach-Object Address)
    $script:peers = @($h[1..100])
    $script:config = New-TestFleetConfig -Fleet $fleet -Peers $peers -ThrottleLimit 16 -ConnectTimeoutSeconds 30
    $script:trackerAddress = "$($h[0]):8998"
    $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8998 -Open
    $script:release = Join-Path $fleet.Hosts[0].Srv 'release'
    New-SampleTree -Path $release -BinaryBytes 4MB
    $script:expected = Compare-DirectoryTree $release

    function script:New-RigRelease([string] $Tag) {
        $made = New-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $Tag -Path '/srv/release' -Tracker $trackerAddress -OutputDirectory "/srv/seed-$Tag" -CompressionLevel NoCompression
        $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $h[0] -Tag $Tag -TempPath "/srv/seed-$Tag" -OutputDirectory $work
        # Registered, so the ledger knows its name and tag (an open tracker alone knows only its info-hash).
        $null = Register-MurderTorrent -Path $saved.FullName -TorrentDirectory (Join-Path $fleet.Hosts[0].Srv 'state/tracker-8998/torrents') -Force
        $null = Start-MurderSeeding -ConfigPath $config -ComputerName $h[0] -Tag $Tag -TorrentPath "/srv/seed-$Tag/$Tag.tgz.torrent" -ArtifactPath "/srv/seed-$Tag/$Tag.tgz"
        [pscustomobject]@{ Made = $made; Torrent = $saved.FullName }
    }

    function script:Assert-RigRelease([object[]] $Results, [string[]] $Names, [string] $Tag, $Made) {
        $Results.Count | Should -Be $Names.Count -Because 'one result per host'
        ($Results.ComputerName | Sort-Object) -join ',' | Should -Be (($Names | Sort-Object) -join ',')
        foreach ($result in $Results) {
            $result.Status | Should -Be 'Succeeded' -Because "$($result.ComputerName): $($result.Error)"
            $result.Bytes | Should -Be $Made.Size
            $result.InfoHash | Should -Be $Made.InfoHash
        }
        foreach ($name in $Names) {
            $testHost = $fleet.Hosts | Where-Object Address -EQ $name
            $actual = Compare-DirectoryTree (Join-Path $testHost.Srv "releases/$Tag")
            ($actual.Keys -join ',') | Should -Be ($expected.Keys -join ',') -Because "$name has every file of $Tag"
            foreach ($key in $expected.Keys) { $actual[$key] | Should -Be $expected[$key] -Because "$key on $name" }
        }
    }

    function script:Start-LedgerSampler([string] $InfoHash) {
        # Reads the ledger's counts four times a second until stopped: the most hosts seen downloading at once.
        $state = [hashtable]::Synchronized(@{ Stop = $false; MaxDownloading = 0; Samples = 0; At = $null })
        $job = Start-ThreadJob -ArgumentList $trackerAddress, $InfoHash, $state -ScriptBlock {
            param($Tracker, $InfoHash, $State)
            $deadline = [DateTime]::UtcNow.AddMinutes(10)
            while (-not $State.Stop -and [DateTime]::UtcNow -lt $deadline) {
                $page = try { Invoke-RestMethod "http://$Tracker/deploy?info_hash=$InfoHash&limit=1" -TimeoutSec 5 } catch { $null }
                if ($page) {
                    $State.Samples++
                    if ($page.counts.downloading -gt $State.MaxDownloading) { $State.MaxDownloading = $page.counts.downloading; $State.At = $page.nowUtc }
                }
                Start-Sleep -Milliseconds 250
            }
        }
        [pscustomobject]@{ State = $state; Job = $job }
    }

    function script:Stop-LedgerSampler($Sampler) {
        $Sampler.State.Stop = $true
        $Sampler.Job | Wait-Job -Timeout 30 | Out-Null
        $Sampler.Job | Remove-Job -Force
        $Sampler.State
    }
}

AfterAll {
    if ($fleet) {
        Get-Job | Remove-Job -Force -ErrorAction Ignore
        Remove-TestFleet $fleet
        Write-Host "    Rig of $($fleet.Hosts.Count) hosts removed in $([Math]::Round($fleet.TeardownSeconds, 1)) s"
        $env:MURDER_STATE_DIR = $savedState
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    }
}

Describe 'A deploy to a rig of 100 hosts' -Tag Fleet, FleetScale -Skip:([bool] $skipReason) {
    It 'puts the release on all 100 hosts in one swarm at ThrottleLimit 16: at least 90 download at the same moment' {
        $deploy = New-RigRelease Rig1
        $sampler = Start-LedgerSampler $deploy.Made.InfoHash
        try {
            $started = [DateTime]::UtcNow
            $results = @(Invoke-MurderPeer -ConfigPath $config -ComputerName $peers -Tag Rig1 -DestinationPath '/srv/releases' -TorrentPath $deploy.Torrent -TempPath '/srv/tmp' -SeedSeconds 30 -ErrorVariable failures -ErrorAction SilentlyContinue)
            $seconds = ([DateTime]::UtcNow - $started).TotalSeconds
        }
        finally {
            $seen = Stop-LedgerSampler $sampler
        }
        Write-Host "    100 hosts in $([Math]::Round($seconds, 1)) s; at most $($seen.MaxDownloading) downloading at once ($($seen.At), $($seen.Samples) samples)"
        $failures | Should -BeNullOrEmpty
        Assert-RigRelease -Results $results -Names $peers -Tag Rig1 -Made $deploy.Made
        $seen.MaxDownloading | Should -BeGreaterOrEqual 90 -Because 'ThrottleLimit bounds SSH connections, not downloads: the fleet is one swarm'
        # The ledger holds every host's outcome.
        $entries = @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $deploy.Made.InfoHash)
        ($entries.Host | Sort-Object) -join ',' | Should -Be (($peers | Sort-Object) -join ',')
        @($entries | Where-Object Stage -NotIn 'Seeding', 'Done').Count | Should -Be 0
    }

    It 'keeps the ledger when the tracker restarts mid-deploy, and the deploy completes' {
        $names = @($peers[0..19])
        $deploy = New-RigRelease Restart1
        $control = Start-ThreadJob -ArgumentList $env:MURDER_MODULE_PATH, $config, $names, $deploy.Torrent -ScriptBlock {
            param($Module, $Config, $Names, $Torrent)
            Import-Module $Module
            Invoke-MurderPeer -ConfigPath $Config -ComputerName $Names -Tag Restart1 -DestinationPath '/srv/releases' -TorrentPath $Torrent -TempPath '/srv/tmp-Restart1' -SeedSeconds 30 -HostLostSeconds 120 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        }
        try {
            Wait-Until -TimeoutSeconds 180 -Because 'every host reports, and most download, before the tracker goes' -Condition {
                $entries = try { @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $deploy.Made.InfoHash) } catch { @() }
                $entries.Count -eq $names.Count -and @($entries | Where-Object Stage -EQ 'Downloading').Count -ge 10
            }
            $before = @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $deploy.Made.InfoHash)
            Stop-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8998
            { Invoke-RestMethod "http://$trackerAddress/deploy" -TimeoutSec 5 } | Should -Throw -Because 'the tracker is down'
            $null = Start-MurderTracker -ConfigPath $config -ComputerName $h[0] -Port 8998 -Open

            # Intact: every host it knew, with its first report, at the stage it had reached or later.
            $after = @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $deploy.Made.InfoHash)
            ($after.Host | Sort-Object) -join ',' | Should -Be (($names | Sort-Object) -join ',')
            foreach ($entry in $before) {
                $kept = $after | Where-Object Host -EQ $entry.Host
                $kept.FirstUtc | Should -Be $entry.FirstUtc -Because "$($entry.Host)'s entry survived the restart"
                $kept.Stage | Should -BeIn 'Downloading', 'Extracting', 'Seeding', 'Done'
            }

            $results = @($control | Wait-Job -Timeout 300 | Receive-Job)
            $control.State | Should -Be 'Completed'
            Assert-RigRelease -Results $results -Names $names -Tag Restart1 -Made $deploy.Made
            @(Get-MurderDeploy -Tracker $trackerAddress -InfoHash $deploy.Made.InfoHash | Where-Object Stage -NotIn 'Seeding', 'Done').Count | Should -Be 0
        }
        finally {
            $control | Remove-Job -Force
        }
    }
}
