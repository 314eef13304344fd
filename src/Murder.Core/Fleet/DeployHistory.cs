using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Murder.Core.Fleet;

/// <summary>
/// The hosts that failed the last deploy of a tag, kept in Murder's state directory so
/// Invoke-MurderDeploy -Retry runs only those.
/// </summary>
public sealed class DeployHistory
{
    private readonly string _directory;

    /// <summary>Keeps the history under STATE/fleet.</summary>
    public DeployHistory(string stateDirectory) => _directory = Path.Combine(stateDirectory, "fleet");

    /// <summary>The hosts that failed the last deploy of <paramref name="tag"/>; null when none is recorded.</summary>
    public IReadOnlyList<string>? FailedHosts(string tag)
    {
        string path = PathOf(tag);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path)) ?? new List<string>();
        }
        catch (JsonException error)
        {
            throw new MurderException("InvalidDeployHistory", MurderErrorCategory.InvalidData, $"'{path}' cannot be read ({error.Message}); delete it and deploy without -Retry.", error) { TargetObject = path };
        }
    }

    /// <summary>Records the failed hosts of a deploy; none removes the record.</summary>
    public void Record(string tag, IEnumerable<string> failedHosts)
    {
        string path = PathOf(tag);
        var hosts = failedHosts.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (hosts.Count == 0)
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return;
        }

        Directory.CreateDirectory(_directory);
        string partial = path + ".tmp";
        File.WriteAllText(partial, JsonSerializer.Serialize(hosts));
        File.Move(partial, path, overwrite: true);
    }

    private string PathOf(string tag) => Path.Combine(_directory, "deploy-" + DeployTag.Validate(tag) + ".json");
}
