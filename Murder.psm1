# Murder's script half: the cmdlets come from bin/Murder.Cmdlets.dll (NestedModules in Murder.psd1).
# Kept light on purpose: every peer imports this module, and start-up time counts in a deploy.

# Tab completion for -Tag: the tags that have a torrent in the temp directory (Murder's TEMP/TAG.tgz.torrent).
$tagCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    $directory = if ($fakeBoundParameters.ContainsKey('OutputDirectory')) { $fakeBoundParameters['OutputDirectory'] } else { [System.IO.Path]::GetTempPath() }
    Get-ChildItem -LiteralPath $directory -Filter '*.tgz.torrent' -File -ErrorAction Ignore |
        ForEach-Object { $_.Name.Substring(0, $_.Name.Length - '.tgz.torrent'.Length) } |
        Where-Object { $_ -like "$wordToComplete*" } |
        Sort-Object |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
Register-ArgumentCompleter -CommandName 'New-MurderTorrent', 'Start-MurderSeeding', 'Stop-MurderSeeding', 'Invoke-MurderPeer', 'Stop-MurderPeering' -ParameterName 'Tag' -ScriptBlock $tagCompleter
