#Requires -Version 7.4
<#
.SYNOPSIS
    Runbook: deploy a release to a fleet of Linux servers over SSH with Murder.
.DESCRIPTION
    Prerequisites on every server: PowerShell 7 (RemotePwshPath), an SSH server that accepts your
    key for User, and write access to RemoteMurderPath, TempPath and the destination. On this
    machine: the Murder module, your key file, and the servers' host keys in known_hosts
    (for example after one interactive `ssh` login to each, or `ssh-keyscan` whose output you checked).

    Steps: write murder.psd1 once, install the module on every server, then deploy each release
    with one command; retry the servers that failed.
.EXAMPLE
    ./Deploy-LinuxFleet.ps1 -Tag Deploy20260101 -LocalPath ./publish -DestinationPath /srv/app
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Tag,
    [Parameter(Mandatory)] [string] $LocalPath,
    [Parameter(Mandatory)] [string] $DestinationPath,
    [string] $ConfigPath = (Join-Path $PSScriptRoot 'murder.psd1'),
    [string[]] $Peers = @('web1', 'web2', 'web3', 'web4')
)
$ErrorActionPreference = 'Stop'
Import-Module Murder

# 1. The fleet configuration (once). Edit it afterwards: HostSuffix, SshKeyPath, TempPath, ...
if (-not (Test-Path -LiteralPath $ConfigPath)) {
    New-MurderConfig -Path $ConfigPath -Peers $Peers -User deploy | Out-Null
    Write-Host "Wrote $ConfigPath; check it, then run this again."
    return
}

# 2. Murder itself on every server (tracker, seeder, peers). Safe to repeat: the old copy is
#    swapped out only once the new one arrived whole.
Install-MurderModule -ConfigPath $ConfigPath -WhatIf:$WhatIfPreference | Format-Table

# 3. The deploy: upload to the seeder, torrent, tracker, seed, start every peer (short SSH commands),
#    follow them through the tracker's deploy ledger, clean up. If this session dies, the deploy goes
#    on: Wait-MurderDeploy -ConfigPath $ConfigPath -Tag $Tag re-attaches from any machine.
$results = Invoke-MurderDeploy -ConfigPath $ConfigPath -Tag $Tag -LocalPath $LocalPath -DestinationPath $DestinationPath -ErrorAction Continue -ErrorVariable failures -WhatIf:$WhatIfPreference
$results | Format-Table

# 4. Hosts that failed (unreachable, key refused, disk full, lost, ...) are in the tracker's ledger
#    (Get-MurderDeploy -Tag $Tag): fix them and retry.
if ($failures) {
    $failures | ForEach-Object { Write-Warning "$($_.TargetObject): $($_.FullyQualifiedErrorId.Split(',')[0]): $($_.Exception.Message)" }
    Write-Host "Retry later with: Invoke-MurderDeploy -ConfigPath $ConfigPath -Tag $Tag -LocalPath $LocalPath -DestinationPath $DestinationPath -Retry"
}
