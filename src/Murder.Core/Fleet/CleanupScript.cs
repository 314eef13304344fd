using System.Collections.Generic;
using System.Linq;

namespace Murder.Core.Fleet;

/// <summary>Murder's clean_temp_files on a host: removes the given paths, quietly when already gone.</summary>
public static class CleanupScript
{
    /// <summary>The script body for <see cref="RemoteScript.Wrap"/>.</summary>
    public static string Body(IEnumerable<string> paths) =>
        $"foreach ($murderPath in @({string.Join(",", paths.Select(PowerShellArguments.Quote))})) {{\n" +
        "    if (Test-Path -LiteralPath $murderPath) { Remove-Item -LiteralPath $murderPath -Recurse -Force }\n" +
        "}\n";
}
