# The rig the fleet benchmarks share: the built module, a test fleet (tests/Pester/TestFleet.psm1:
# a network namespace per host on a private bridge in 198.18.0.0/15, each with its own sshd and
# /srv), its murder.psd1, and a tracker on host 1 with a release of random bytes in its /srv/release.
# Host 1 is the tracker and seeder; hosts 2.. are the peers. Needs root and Linux namespaces.

function New-FleetBenchRig {
    param(
        [Parameter(Mandatory)] [string] $Prefix,
        [Parameter(Mandatory)] [int] $Peers,
        [int] $ThrottleLimit = 16,
        [int] $ReleaseBytes = 1MB,
        [double] $RateMbit = 0,
        [int] $UncappedHosts = 0
    )
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $manifest = Join-Path $root 'out/Murder/Murder.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) { & (Join-Path $root 'build.ps1') -Task Build | Out-Host }
    Import-Module $manifest -Force -Global
    Import-Module (Join-Path $root 'tests/Pester/TestFleet.psm1') -Force -Global
    if ($reason = Get-TestFleetSkipReason) { throw "Cannot build the rig: $reason." }

    $work = New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) "$Prefix-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
    $rig = [pscustomobject]@{ Root = $root; Module = (Split-Path $manifest); Work = $work.FullName; Fleet = $null; Addresses = @(); Config = $null; Tracker = $null; SavedState = $env:MURDER_STATE_DIR }
    # The control machine's state (the background agents it starts) stays inside the rig's directory.
    $env:MURDER_STATE_DIR = Join-Path $work 'control-state'
    try {
        $rig.Fleet = New-TestFleet -WorkPath $rig.Work -Count ($Peers + 1) -ShareHostKey -RateMbit $RateMbit -UncappedHosts $UncappedHosts -ModulePath $rig.Module
        $rig.Addresses = @($rig.Fleet.Hosts | ForEach-Object Address)
        $rig.Config = New-TestFleetConfig -Fleet $rig.Fleet -Peers $rig.Addresses[1..$Peers] -ThrottleLimit $ThrottleLimit -ConnectTimeoutSeconds 30
        $rig.Tracker = "$($rig.Addresses[0]):8998"
        $null = Start-MurderTracker -ConfigPath $rig.Config -ComputerName $rig.Addresses[0] -Port 8998 -Open
        $release = New-Item -ItemType Directory -Path (Join-Path $rig.Fleet.Hosts[0].Srv 'release')
        $bytes = [byte[]]::new($ReleaseBytes)
        [System.Random]::new(13).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $release 'data.bin'), $bytes)
        $rig
    }
    catch {
        Remove-FleetBenchRig $rig
        throw
    }
}

function Remove-FleetBenchRig {
    # Every process, namespace and file of the rig, and the caller's state directory back.
    param($Rig)
    if (-not $Rig) { return }
    Remove-TestFleet $Rig.Fleet
    $env:MURDER_STATE_DIR = $Rig.SavedState
    Remove-Item -LiteralPath $Rig.Work -Recurse -Force -ErrorAction Ignore
}

Export-ModuleMember -Function New-FleetBenchRig, Remove-FleetBenchRig
