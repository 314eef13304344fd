#Requires -Version 7.4
<#
.SYNOPSIS
    Runbook: deploy a release to Windows servers with Murder through PSRemoting sessions.
.DESCRIPTION
    Prerequisites on every server: PowerShell 7 and either WinRM remoting for PowerShell 7
    (Enable-PSRemoting in pwsh, endpoint PowerShell.7) or OpenSSH Server with the PowerShell
    subsystem (`Subsystem powershell c:/progra~1/powershell/7/pwsh.exe -sshs -NoLogo` in
    sshd_config). Allow Murder's tracker port (8998) and the BitTorrent ports between the servers
    in Windows Firewall.

    Windows paths differ from Murder's Linux defaults, so the configuration sets RemoteMurderPath,
    TempPath and DefaultDestinationPath. Sessions carry your credentials (Kerberos, or your ssh
    client and agent for -HostName), so no key file is configured here.
.EXAMPLE
    ./Deploy-WindowsFleet.ps1 -ComputerName win1, win2, win3 -Tag Deploy20260101 -LocalPath .\publish
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string[]] $ComputerName,
    [Parameter(Mandatory)] [string] $Tag,
    [Parameter(Mandatory)] [string] $LocalPath,
    [string] $DestinationPath = 'D:\Apps',
    [string] $ConfigPath = (Join-Path $PSScriptRoot 'windows-murder.psd1'),
    # Use PowerShell over SSH (New-PSSession -HostName) instead of WinRM.
    [switch] $OverSsh,
    [string] $UserName = $env:USERNAME
)
$ErrorActionPreference = 'Stop'
Import-Module Murder

if (-not (Test-Path -LiteralPath $ConfigPath)) {
    Set-Content -LiteralPath $ConfigPath -Value @'
@{
    # With -Session the first session seeds and runs the tracker.
    TrackerPort            = 8998
    RemoteMurderPath       = 'C:\Program Files\Murder\Murder'
    RemotePwshPath         = 'C:\Program Files\PowerShell\7\pwsh.exe'
    TempPath               = 'C:\Windows\Temp\Murder'
    DefaultDestinationPath = 'D:\Apps'
    ThrottleLimit          = 32
}
'@
}

$sessions = if ($OverSsh) {
    New-PSSession -HostName $ComputerName -UserName $UserName
}
else {
    New-PSSession -ComputerName $ComputerName -ConfigurationName PowerShell.7
}
try {
    Install-MurderModule -ConfigPath $ConfigPath -Session $sessions -WhatIf:$WhatIfPreference | Format-Table
    Invoke-MurderDeploy -ConfigPath $ConfigPath -Session $sessions -Tag $Tag -LocalPath $LocalPath -DestinationPath $DestinationPath -ErrorAction Continue -WhatIf:$WhatIfPreference |
        Format-Table
}
finally {
    $sessions | Remove-PSSession
}
