#Requires -Version 7.4
<#
.SYNOPSIS
    Deploy time against fleet size: 25, 50 and 100 hosts at ThrottleLimit 16, with the same release
    and the same links, and the ratio of each to the smallest.
.DESCRIPTION
    Builds one rig of test hosts (tests/Pester/TestFleet.psm1: a network namespace per host on a private
    bridge, 198.18.0.0/15, each with its own sshd and /srv; every link capped with tc tbf at -RateMbit
    both ways, except host 1's). Host 1 runs the tracker and the seeder; for each size N it seeds a new tag of the same
    release (-ReleaseMiB of random bytes, packed without compression) and times
    Invoke-MurderPeer -ComputerName on hosts 2..N+1 (the launch-and-follow that Invoke-MurderDeploy runs
    for its peers): from the call to the last host's result. It prints, per size, the deploy time, the
    most hosts the ledger showed downloading at once, and the ratio to the smallest size. The goal of
    issue 13: 100 hosts take at most 1.5 x the time of 25. Needs root, Linux namespaces and the built
    module (out/Murder). Timings on a shared machine are noisy: compare the rows of one run.
.EXAMPLE
    dotnet pwsh -c "./bench/fleet/Measure-FleetDeploy.ps1 -Hosts 25, 50, 100 -ResultPath ./table.md"
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 200)] [int[]] $Hosts = @(25, 50, 100),
    [ValidateRange(1, 1024)] [int] $ThrottleLimit = 16,
    [ValidateRange(1, 1024)] [int] $ReleaseMiB = 4,
    [ValidateRange(0.5, 1000)] [double] $RateMbit = 0.5,
    [ValidateRange(1, 600)] [int] $SeedSeconds = 10,
    [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'FleetBenchRig.psm1') -Force
$rig = $null
try {
    $largest = ($Hosts | Measure-Object -Maximum).Maximum
    $rig = New-FleetBenchRig -Prefix 'murder-fleetbench' -Peers $largest -ThrottleLimit $ThrottleLimit -ReleaseBytes ($ReleaseMiB * 1MB) -RateMbit $RateMbit -UncappedHosts 1
    $fleet, $addresses, $config, $tracker, $work = $rig.Fleet, $rig.Addresses, $rig.Config, $rig.Tracker, $rig.Work
    Write-Host "Rig of $($fleet.Hosts.Count) hosts built in $([Math]::Round($fleet.SetupSeconds, 1)) s; links $RateMbit Mbit/s, release $ReleaseMiB MiB, ThrottleLimit $ThrottleLimit."

    $rows = foreach ($size in $Hosts) {
        $tag = "Bench$size"
        $made = New-MurderTorrent -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -Path '/srv/release' -Tracker $tracker -OutputDirectory "/srv/seed-$tag" -CompressionLevel NoCompression
        $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -TempPath "/srv/seed-$tag" -OutputDirectory $work
        $null = Register-MurderTorrent -Path $saved.FullName -TorrentDirectory (Join-Path $fleet.Hosts[0].Srv 'state/tracker-8998/torrents') -Force
        $null = Start-MurderSeeding -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -TorrentPath "/srv/seed-$tag/$tag.tgz.torrent" -ArtifactPath "/srv/seed-$tag/$tag.tgz"
        $infoHash = $made.InfoHash
        # The ledger's counts, four times a second: the most hosts downloading at once.
        $state = [hashtable]::Synchronized(@{ Stop = $false; Max = 0 })
        $sampler = Start-ThreadJob -ArgumentList $tracker, $infoHash, $state -ScriptBlock {
            param($Tracker, $InfoHash, $State)
            while (-not $State.Stop) {
                $page = try { Invoke-RestMethod "http://$Tracker/deploy?info_hash=$InfoHash&limit=1" -TimeoutSec 5 } catch { $null }
                if ($page -and $page.counts.downloading -gt $State.Max) { $State.Max = $page.counts.downloading }
                Start-Sleep -Milliseconds 250
            }
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(Invoke-MurderPeer -ConfigPath $config -ComputerName $addresses[1..$size] -Tag $tag -DestinationPath '/srv/releases' -TorrentPath $saved.FullName -TempPath "/srv/tmp-$tag" -SeedSeconds $SeedSeconds -ErrorAction SilentlyContinue)
        $seconds = $clock.Elapsed.TotalSeconds
        $state.Stop = $true
        $sampler | Wait-Job -Timeout 30 | Remove-Job -Force
        $succeeded = @($results | Where-Object Status -EQ 'Succeeded').Count
        Write-Host "  $size hosts: $([Math]::Round($seconds, 1)) s, $succeeded succeeded, at most $($state.Max) downloading at once"
        $results | Where-Object Status -NE 'Succeeded' | Group-Object ErrorId | ForEach-Object { Write-Host "    $($_.Count) x $($_.Name): $($_.Group[0].Error)" }
        [pscustomobject]@{ Hosts = $size; Seconds = [Math]::Round($seconds, 1); Succeeded = $succeeded; MaxDownloading = $state.Max }
        # The next size starts on a quiet rig: this tag's seeder stopped, its lingering peers ended.
        Stop-MurderSeeding -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -WarningAction SilentlyContinue
        Start-Sleep -Seconds ($SeedSeconds + 5)
    }
    $base = $rows[0].Seconds
    $table = $rows | Select-Object Hosts, Seconds, @{ Name = 'Ratio'; Expression = { [Math]::Round($_.Seconds / $base, 2) } }, Succeeded, MaxDownloading
    $table | Format-Table -AutoSize | Out-Host
    if ($ResultPath) {
        $lines = @("| Hosts | Deploy s | x $($rows[0].Hosts) hosts | Succeeded | Most downloading at once |", '|---:|---:|---:|---:|---:|')
        $lines += $table | ForEach-Object { "| $($_.Hosts) | $($_.Seconds) | $($_.Ratio) | $($_.Succeeded) | $($_.MaxDownloading) |" }
        Set-Content -LiteralPath $ResultPath -Value $lines
    }
    $table
}
finally {
    Get-Job | Remove-Job -Force -ErrorAction Ignore
    Remove-FleetBenchRig $rig
}
