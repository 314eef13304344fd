BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:module = Get-Module Murder
}

Describe 'The Murder module' {
    It 'loads from the built layout and exports its cmdlets' {
        $module | Should -Not -BeNullOrEmpty
        (Get-Command -Module Murder).Name | Should -Contain 'New-MurderTorrent'
        # Everything the manifest promises exists, and nothing else is exported.
        $manifest = Import-PowerShellDataFile $env:MURDER_MODULE_PATH
        (Get-Command -Module Murder -CommandType Cmdlet).Name | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'carries one version: the manifest''s equals the assemblies''' {
        $assemblies = Get-ChildItem (Join-Path $module.ModuleBase 'bin') -Filter 'Murder.*.dll'
        $assemblies.Count | Should -BeGreaterOrEqual 2
        foreach ($assembly in $assemblies) {
            [System.Reflection.AssemblyName]::GetAssemblyName($assembly.FullName).Version.ToString(3) | Should -Be $module.Version.ToString(3)
        }
        $props = [xml](Get-Content (Join-Path $env:MURDER_REPO_ROOT 'Directory.Build.props') -Raw)
        $module.Version.ToString(3) | Should -Be ($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1)
    }

    It 'keeps PowerShell out of the engine assembly' {
        $core = [System.Reflection.Assembly]::LoadFile((Join-Path $module.ModuleBase 'bin/Murder.Core.dll'))
        $core.GetReferencedAssemblies().Name | Should -Not -Contain 'System.Management.Automation'
    }

    Context 'help for <_>' -ForEach @((Import-PowerShellDataFile $env:MURDER_MODULE_PATH).CmdletsToExport) {
        It 'has a synopsis, a description, every parameter and an example' {
            $help = Get-Help $_ -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Synopsis | Should -Not -Match '^\s*New-MurderTorrent\s+\['   # a generated stub repeats the syntax
            ($help.description.Text -join ' ') | Should -Not -BeNullOrEmpty
            @($help.examples.example).Count | Should -BeGreaterOrEqual 1
            $own = (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters }
            foreach ($name in $own) {
                $parameter = $help.parameters.parameter | Where-Object name -EQ $name
                $parameter | Should -Not -BeNullOrEmpty -Because "-$name must be documented"
                ($parameter.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
            }
        }
    }
}
