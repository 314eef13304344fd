#Requires -Version 7.4
<#
.SYNOPSIS
    How soon after Invoke-MurderPeer -ComputerName every host's peer runs: for each round, the
    time from the call to each host's first report in the tracker's deploy ledger (its agent
    running), as first / median / slowest, and the ratio of the slowest to the first.
.DESCRIPTION
    Builds a rig of test hosts (tests/Pester/TestFleet.psm1: a network namespace per host on a
    private bridge, 198.18.0.0/15, each with its own sshd and /srv; links uncapped). Host 1 runs the
    tracker and a seeder of a 1 MiB release; the other -Peers hosts are launched by one
    Invoke-MurderPeer -ComputerName per round, each round a new tag, in a fresh PowerShell (cold,
    as an operator's session is), -Rounds times. Every host's sshd runs on this machine's cores
    too, so the figures include the server side of every SSH handshake, which a real fleet spreads
    over its hosts. Needs root, Linux namespaces and the built module (out/Murder).
.EXAMPLE
    dotnet pwsh -c "./bench/fleet/Measure-FleetLaunch.ps1 -Peers 16, 32 -Rounds 3"
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 200)] [int[]] $Peers = @(16, 32),
    [ValidateRange(1, 20)] [int] $Rounds = 3,
    [ValidateRange(1, 1024)] [int] $ThrottleLimit = 32
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'FleetBenchRig.psm1') -Force
$rig = $null
$pushed = $false
try {
    $rig = New-FleetBenchRig -Prefix 'murder-launchbench' -Peers ($Peers | Measure-Object -Maximum).Maximum -ThrottleLimit $ThrottleLimit
    $root, $module, $addresses, $config, $tracker, $work = $rig.Root, $rig.Module, $rig.Addresses, $rig.Config, $rig.Tracker, $rig.Work
    # A fresh PowerShell from the repository's tool manifest, as the README runs it.
    Push-Location $root
    $pushed = $true
    $rows = foreach ($size in $Peers) {
        foreach ($round in 1..$Rounds) {
            $tag = "Launch${size}x$round"
            $made = New-MurderTorrent -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -Path '/srv/release' -Tracker $tracker -OutputDirectory "/srv/seed-$tag"
            $saved = Save-MurderTorrent -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -TempPath "/srv/seed-$tag" -OutputDirectory $work
            $null = Start-MurderSeeding -ConfigPath $config -ComputerName $addresses[0] -Tag $tag -TorrentPath "/srv/seed-$tag/$tag.tgz.torrent" -ArtifactPath "/srv/seed-$tag/$tag.tgz"
            $targets = ($addresses[1..$size] | ForEach-Object { "'$_'" }) -join ','
            $script = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$module/Murder.psd1'; [DateTime]::UtcNow.ToString('o'); " +
                "`$null = Invoke-MurderPeer -ConfigPath '$config' -ComputerName $targets -Tag $tag -DestinationPath '/srv/releases' -TorrentPath '$($saved.FullName)' -TempPath '/srv/tmp-$tag' -SeedSeconds 5 -Confirm:`$false"
            # All its output first: Select-Object -First 1 on the pipe would stop that PowerShell mid-launch.
            $output = @(& dotnet pwsh -NoProfile -NonInteractive -Command $script)
            $began = [DateTime]::Parse($output[0], [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()
            $ledger = Invoke-RestMethod "http://$tracker/deploy?info_hash=$($made.InfoHash)&limit=1000"
            $starts = @($ledger.entries | Where-Object role -EQ 'peer' | ForEach-Object { (([DateTime]$_.firstUtc).ToUniversalTime() - $began).TotalSeconds } | Sort-Object)
            $row = [pscustomobject]@{
                Hosts = $size; Round = $round; Started = $starts.Count
                First = [Math]::Round($starts[0], 2); Median = [Math]::Round($starts[[int][Math]::Floor($starts.Count / 2)], 2); Slowest = [Math]::Round($starts[-1], 2)
                Load = (Get-Content /proc/loadavg -Raw).Split(' ')[0]
            }
            Write-Host ("  {0} hosts, round {1}: {2} started, first {3} s, median {4} s, slowest {5} s (load {6})" -f $row.Hosts, $row.Round, $row.Started, $row.First, $row.Median, $row.Slowest, $row.Load)
            $row
        }
    }
    $rows | Format-Table Hosts, Round, Started, First, Median, Slowest, @{ Name = 'Slowest/First'; Expression = { [Math]::Round($_.Slowest / [Math]::Max($_.First, 0.01), 2) } }, Load -AutoSize | Out-Host
}
finally {
    if ($pushed) { Pop-Location }
    Remove-FleetBenchRig $rig
}
