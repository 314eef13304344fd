@{
    # ModuleVersion is stamped by build.ps1 from <VersionPrefix> in Directory.Build.props:
    # one version number for the assemblies and the module.
    RootModule           = 'Murder.psm1'
    ModuleVersion        = '0.0.0'
    GUID                 = '5b0f4d8e-6a51-4d0c-9a0b-7c1e3f2d9a11'
    Author               = 'Murder for PowerShell contributors'
    CompanyName          = 'Murder for PowerShell contributors'
    Copyright            = '(c) Murder for PowerShell contributors'
    Description          = 'Fast deploys of a directory to many servers over BitTorrent: a tracker, one seeder and every server a peer, driven from PowerShell. After Twitter''s Murder.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    NestedModules        = @('bin/Murder.Cmdlets.dll')
    FormatsToProcess     = @('Murder.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'New-MurderTorrent'
        'Start-MurderTracker'
        'Stop-MurderTracker'
        'Get-MurderTracker'
        'Register-MurderTorrent'
        'Start-MurderSeeding'
        'Stop-MurderSeeding'
        'Invoke-MurderPeer'
        'Get-MurderDeploy'
        'Wait-MurderDeploy'
        'Stop-MurderPeering'
        'New-MurderConfig'
        'Install-MurderModule'
        'Save-MurderTorrent'
        'Invoke-MurderDeploy'
    )
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('BitTorrent', 'Deploy', 'Murder', 'P2P', 'Linux', 'Windows')
            ProjectUri = ''
        }
    }
}
