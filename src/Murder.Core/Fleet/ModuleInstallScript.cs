using System;
using System.Globalization;

namespace Murder.Core.Fleet;

/// <summary>
/// The remote half of Install-MurderModule (Murder's distribute_files), run after the module was
/// uploaded to a sibling directory: it checks the upload is complete, refuses to replace a
/// directory that is not a Murder module, and swaps the new copy in by renames, putting the old
/// one back if that fails, so RemoteMurderPath never holds a partial module.
/// </summary>
public static class ModuleInstallScript
{
    /// <summary>The sibling directory an upload goes to before the swap.</summary>
    public static string StagingPath(string remoteMurderPath, string nonce) => remoteMurderPath.TrimEnd('/', '\\') + ".new-" + nonce;

    /// <summary>The script body for <see cref="RemoteScript.Wrap"/>.</summary>
    public static string Body(string remoteMurderPath, string stagingPath, string nonce, int fileCount)
    {
        string target = PowerShellArguments.Quote(remoteMurderPath.TrimEnd('/', '\\'));
        string staged = PowerShellArguments.Quote(stagingPath);
        string old = PowerShellArguments.Quote(remoteMurderPath.TrimEnd('/', '\\') + ".old-" + nonce);
        string count = fileCount.ToString(CultureInfo.InvariantCulture);
        return
            $"$murderTarget = {target}\n" +
            $"$murderStaged = {staged}\n" +
            $"$murderOld = {old}\n" +
            "$murderFiles = @(Get-ChildItem -LiteralPath $murderStaged -Recurse -File -Force -ErrorAction SilentlyContinue)\n" +
            $"if ($murderFiles.Count -ne {count} -or -not (Test-Path -LiteralPath (Join-Path $murderStaged 'Murder.psd1') -PathType Leaf)) {{\n" +
            "    Remove-Item -LiteralPath $murderStaged -Recurse -Force -ErrorAction SilentlyContinue\n" +
            $"    Send-MurderError 'ModuleUploadIncomplete' 'WriteError' \"Only $($murderFiles.Count) of {count} files arrived in $murderStaged; nothing was replaced. Run Install-MurderModule again.\"\n" +
            "} elseif ((Test-Path -LiteralPath $murderTarget) -and -not (Test-Path -LiteralPath (Join-Path $murderTarget 'Murder.psd1') -PathType Leaf) -and @(Get-ChildItem -LiteralPath $murderTarget -Force).Count -gt 0) {\n" +
            "    Remove-Item -LiteralPath $murderStaged -Recurse -Force\n" +
            "    Send-MurderError 'NotAMurderModule' 'ResourceExists' \"$murderTarget holds files but no Murder module, so Murder will not replace it. Empty it, or set RemoteMurderPath to another directory.\"\n" +
            "} else {\n" +
            // An upload carries no file modes: the native agent (Linux x64) must be executable to be chosen.
            $"    $murderNative = Join-Path $murderStaged {PowerShellArguments.Quote("bin/" + RemoteCommandLine.NativeAgentRelativePath)}\n" +
            "    if (-not $IsWindows -and (Test-Path -LiteralPath $murderNative -PathType Leaf)) { [System.IO.File]::SetUnixFileMode($murderNative, [System.IO.UnixFileMode] 0x1ED) }\n" +
            "    $murderHadOld = Test-Path -LiteralPath $murderTarget\n" +
            "    if ($murderHadOld) { Move-Item -LiteralPath $murderTarget -Destination $murderOld }\n" +
            "    try { Move-Item -LiteralPath $murderStaged -Destination $murderTarget }\n" +
            "    catch { if ($murderHadOld) { Move-Item -LiteralPath $murderOld -Destination $murderTarget }; throw }\n" +
            "    if ($murderHadOld) { Remove-Item -LiteralPath $murderOld -Recurse -Force }\n" +
            "    $murderManifest = Import-PowerShellDataFile -LiteralPath (Join-Path $murderTarget 'Murder.psd1')\n" +
            "    $murderResult = [pscustomobject]@{ PSTypeName = 'Murder.ModuleInstallation'; Path = $murderTarget; Version = [string] $murderManifest.ModuleVersion; Files = $murderFiles.Count; Replaced = $murderHadOld }\n" +
            "    Send-MurderLine 'OBJECT' ([System.Management.Automation.PSSerializer]::Serialize($murderResult, 2))\n" +
            "}\n";
    }

    /// <summary>A random, file-name-safe nonce.</summary>
    public static string NewNonce() => Guid.NewGuid().ToString("N")[..12];
}
