using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Murder.Core;
using Murder.Core.Fleet;

namespace Murder.Cmdlets.Fleet;

/// <summary>
/// Reads murder.psd1 the way Import-PowerShellDataFile does: the file is parsed, never run; it must
/// be one hashtable of constant values (SafeGetValue refuses anything that would execute code).
/// </summary>
internal static class FleetConfigurationFile
{
    public const string DefaultFileName = "murder.psd1";

    public static FleetConfiguration Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new MurderException("ConfigurationNotFound", MurderErrorCategory.ObjectNotFound, $"The configuration file '{path}' does not exist. Create one with New-MurderConfig.") { TargetObject = path };
        }

        ScriptBlockAst ast = Parser.ParseFile(path, out _, out ParseError[] errors);
        if (errors.Length > 0)
        {
            ParseError first = errors[0];
            throw Invalid(path, $"line {first.Extent.StartLineNumber}: {first.Message}");
        }

        var statements = ast.EndBlock?.Statements ?? (IReadOnlyList<StatementAst>)Array.Empty<StatementAst>();
        if (ast.BeginBlock is not null || ast.ProcessBlock is not null || ast.ParamBlock is not null || statements.Count != 1
            || statements[0] is not PipelineAst { PipelineElements.Count: 1 } pipeline
            || pipeline.PipelineElements[0] is not CommandExpressionAst { Expression: HashtableAst hashtable })
        {
            throw Invalid(path, "the file must hold exactly one hashtable, @{ Key = value; ... }");
        }

        object? value;
        try
        {
            value = hashtable.SafeGetValue();
        }
        catch (InvalidOperationException error)
        {
            throw Invalid(path, $"only constant values are allowed (strings, numbers, $true, $false, $null, arrays): {error.Message}");
        }

        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in (Hashtable)value)
        {
            values[entry.Key.ToString() ?? string.Empty] = entry.Value is object[] array ? array.ToList() : entry.Value;
        }

        return FleetConfiguration.FromValues(values, path);
    }

    private static MurderException Invalid(string path, string problem) =>
        new("InvalidConfiguration", MurderErrorCategory.InvalidData, $"{path}: {problem}.") { TargetObject = path };
}
