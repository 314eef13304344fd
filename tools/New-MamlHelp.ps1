<#
.SYNOPSIS
    Generates MAML help for the module's binary cmdlets from docs/en-US/<Cmdlet>.md.
.DESCRIPTION
    platyPS is not in the package registry reachable here, so this is Murder's own generator. The
    markdown uses platyPS's layout (## SYNOPSIS, ## DESCRIPTION, ## EXAMPLES with ### titles and
    fenced code, ## PARAMETERS with ### -Name, ## INPUTS, ## OUTPUTS, ## NOTES, ## RELATED LINKS).
    Syntax, types, positions, pipeline input and aliases come from the cmdlets themselves, so the
    help cannot drift from the code. The build fails when a cmdlet has no page, no synopsis, no
    example, or a parameter without a description, or when a page documents a parameter that does
    not exist.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$module = Import-Module $ModulePath -PassThru -Force
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
$standard = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

function Read-HelpMarkdown {
    param([string] $Path)
    $page = @{ Synopsis = ''; Description = ''; Examples = [System.Collections.Generic.List[object]]::new(); Parameters = @{}; Inputs = ''; Outputs = ''; Notes = ''; Links = [System.Collections.Generic.List[string]]::new() }
    $section = ''; $current = $null; $inCode = $false
    foreach ($line in (Get-Content -LiteralPath $Path)) {
        if ($line -match '^```') {
            if ($section -eq 'EXAMPLES' -and $current) {
                $inCode = -not $inCode
                continue
            }
        }
        if ($inCode) { $current.Code += @($line); continue }
        if ($line -match '^## (.+)$') { $section = $Matches[1].Trim().ToUpperInvariant(); $current = $null; continue }
        if ($line -match '^### (.+)$') {
            $title = $Matches[1].Trim()
            if ($section -eq 'EXAMPLES') { $current = @{ Title = $title; Code = @(); Remarks = @() }; $page.Examples.Add($current) }
            elseif ($section -eq 'PARAMETERS') { $current = @{ Name = $title.TrimStart('-'); Text = @() }; $page.Parameters[$current.Name] = $current }
            continue
        }
        switch ($section) {
            'SYNOPSIS' { $page.Synopsis += "$line`n" }
            'DESCRIPTION' { $page.Description += "$line`n" }
            'EXAMPLES' { if ($current) { $current.Remarks += @($line) } }
            'PARAMETERS' { if ($current -and $line -notmatch '^```' -and $line -notmatch '^(Type|Parameter Sets|Aliases|Required|Position|Default value|Accept pipeline input|Accept wildcard characters):') { $current.Text += @($line) } }
            'INPUTS' { $page.Inputs += "$line`n" }
            'OUTPUTS' { $page.Outputs += "$line`n" }
            'NOTES' { $page.Notes += "$line`n" }
            'RELATED LINKS' { if ($line -match '\S') { $page.Links.Add(($line -replace '^\s*[-*]\s*', '' -replace '\[([^\]]+)\]\([^)]*\)', '$1').Trim()) } }
        }
    }
    $page
}

function Split-Paragraphs([string] $Text) {
    ($Text.Trim() -split '\r?\n\s*\r?\n') | Where-Object { $_.Trim() } | ForEach-Object { ($_ -split '\r?\n' | ForEach-Object Trim) -join ' ' }
}

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $OutputPath) -Force
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
$problems = [System.Collections.Generic.List[string]]::new()

function Write-Paras([string] $Prefix, [string] $Name, [string[]] $Paragraphs) {
    $writer.WriteStartElement($Prefix, $Name, $ns[$Prefix])
    foreach ($p in $Paragraphs) { $writer.WriteElementString('maml', 'para', $ns.maml, $p) }
    if (-not $Paragraphs) { $writer.WriteElementString('maml', 'para', $ns.maml, '') }
    $writer.WriteEndElement()
}

function Write-Parameter($Parameter, $SetParameter, [string] $Description) {
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $pipeline = @()
    if ($SetParameter -and $SetParameter.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($SetParameter -and $SetParameter.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $writer.WriteStartElement('command', 'parameter', $ns.command)
    $writer.WriteAttributeString('required', $(if ($SetParameter -and $SetParameter.IsMandatory) { 'true' } else { 'false' }))
    $writer.WriteAttributeString('variableLength', 'true')
    $writer.WriteAttributeString('globbing', 'false')
    $writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $writer.WriteAttributeString('position', $(if ($SetParameter -and $SetParameter.Position -ge 0) { [string] $SetParameter.Position } else { 'named' }))
    $writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $ns.maml, $Parameter.Name)
    Write-Paras 'maml' 'description' (Split-Paragraphs $Description)
    $typeName = $Parameter.ParameterType.Name
    if (-not $isSwitch) {
        $writer.WriteStartElement('command', 'parameterValue', $ns.command)
        $writer.WriteAttributeString('required', 'true')
        $writer.WriteAttributeString('variableLength', 'false')
        $writer.WriteString($typeName)
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $ns.dev)
    $writer.WriteElementString('maml', 'name', $ns.maml, $Parameter.ParameterType.FullName)
    $writer.WriteEndElement()
    $writer.WriteElementString('dev', 'defaultValue', $ns.dev, $(if ($isSwitch) { 'False' } else { 'None' }))
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')
$fleetParametersPath = Join-Path $DocsPath '_FleetParameters.md'
$fleetParameters = if (Test-Path -LiteralPath $fleetParametersPath) { Read-HelpMarkdown $fleetParametersPath } else { @{ Parameters = @{} } }
foreach ($cmd in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $doc = Join-Path $DocsPath "$($cmd.Name).md"
    if (-not (Test-Path -LiteralPath $doc)) { $problems.Add("$($cmd.Name): no help page at $doc"); continue }
    $page = Read-HelpMarkdown $doc
    # The fleet parameters (-ComputerName, -Session, ...) are the same on every cmdlet that acts on
    # a machine: described once in _FleetParameters.md, unless a page describes them itself.
    foreach ($shared in $fleetParameters.Parameters.Values) {
        if ($cmd.Parameters.ContainsKey($shared.Name) -and -not $page.Parameters.ContainsKey($shared.Name)) { $page.Parameters[$shared.Name] = $shared }
    }
    if (-not $page.Synopsis.Trim()) { $problems.Add("$($cmd.Name): no SYNOPSIS") }
    if ($page.Examples.Count -eq 0) { $problems.Add("$($cmd.Name): no example") }
    $own = $cmd.Parameters.Values | Where-Object { $_.Name -notin $common }
    foreach ($p in $own) {
        if (-not $page.Parameters.ContainsKey($p.Name) -or -not (($page.Parameters[$p.Name].Text -join '').Trim())) { $problems.Add("$($cmd.Name): parameter -$($p.Name) is not described") }
    }
    foreach ($name in $page.Parameters.Keys) {
        if (-not $cmd.Parameters.ContainsKey($name)) { $problems.Add("$($cmd.Name): the page documents -$name, which does not exist") }
    }
    $describe = { param($p) if ($page.Parameters.ContainsKey($p.Name)) { ($page.Parameters[$p.Name].Text -join "`n") } elseif ($standard.ContainsKey($p.Name)) { $standard[$p.Name] } else { '' } }

    $verb, $noun = $cmd.Name -split '-', 2
    $writer.WriteStartElement('command', 'command', $ns.command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $writer.WriteStartElement('command', 'details', $ns.command)
    $writer.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $writer.WriteElementString('command', 'verb', $ns.command, $verb)
    $writer.WriteElementString('command', 'noun', $ns.command, $noun)
    Write-Paras 'maml' 'description' (Split-Paragraphs $page.Synopsis)
    $writer.WriteEndElement()
    Write-Paras 'maml' 'description' (Split-Paragraphs $page.Description)

    $writer.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $ns.command)
        $writer.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($sp in ($set.Parameters | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, { -not $_.IsMandatory })) {
            Write-Parameter $cmd.Parameters[$sp.Name] $sp (& $describe $sp)
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in ($cmd.Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters } | Sort-Object Name)) {
        $sp = $cmd.ParameterSets | ForEach-Object { $_.Parameters } | Where-Object Name -EQ $p.Name | Select-Object -First 1
        Write-Parameter $p $sp (& $describe $p)
    }
    $writer.WriteEndElement()

    foreach ($kind in @(@{ Outer = 'inputTypes'; Inner = 'inputType'; Text = $page.Inputs }, @{ Outer = 'returnValues'; Inner = 'returnValue'; Text = $page.Outputs })) {
        $writer.WriteStartElement('command', $kind.Outer, $ns.command)
        $blocks = ($kind.Text -split '(?m)^### ') | Where-Object { $_.Trim() }
        foreach ($block in $blocks) {
            $lines = $block -split '\r?\n'
            $writer.WriteStartElement('command', $kind.Inner, $ns.command)
            $writer.WriteStartElement('dev', 'type', $ns.dev)
            $writer.WriteElementString('maml', 'name', $ns.maml, $lines[0].Trim())
            $writer.WriteEndElement()
            Write-Paras 'maml' 'description' (Split-Paragraphs (($lines | Select-Object -Skip 1) -join "`n"))
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('maml', 'alertSet', $ns.maml)
    $writer.WriteStartElement('maml', 'alert', $ns.maml)
    foreach ($p in (Split-Paragraphs $page.Notes)) { $writer.WriteElementString('maml', 'para', $ns.maml, $p) }
    $writer.WriteEndElement()
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'examples', $ns.command)
    foreach ($example in $page.Examples) {
        $writer.WriteStartElement('command', 'example', $ns.command)
        $writer.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($example.Title) --------------------------")
        $writer.WriteElementString('dev', 'code', $ns.dev, ($example.Code -join "`n"))
        Write-Paras 'dev' 'remarks' (Split-Paragraphs ($example.Remarks -join "`n"))
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'relatedLinks', $ns.command)
    foreach ($link in $page.Links) {
        $writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $writer.WriteElementString('maml', 'linkText', $ns.maml, $link)
        $writer.WriteElementString('maml', 'uri', $ns.maml, '')
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()

if ($problems.Count) {
    Remove-Item -LiteralPath $OutputPath -Force
    throw "Help is incomplete:`n  $($problems -join "`n  ")"
}
