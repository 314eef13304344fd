using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Murder.Fuzz.Targets;
using Xunit;

namespace Murder.Core.Tests.Fuzzing;

/// <summary>
/// Replays the fuzzing seed corpus (fuzz/corpus/TARGET) and every input fuzzing ever found
/// (FuzzRegressions/TARGET) through the fuzz targets themselves: each input must end in a
/// documented outcome (accepted, or refused with the parser's own exception) within a bound.
/// </summary>
public sealed class FuzzReplayTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach ((string target, string file) in EnumerateInputs("FuzzCorpus").Concat(EnumerateInputs("FuzzRegressions")))
        {
            data.Add(target, file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Input_EndsInADocumentedOutcome(string target, string file)
    {
        byte[] input = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, file));
        Action<byte[]> run = FuzzTargets.Get(target);
        await Task.Run(() => run(input)).WaitAsync(HangLimit);
    }

    [Fact]
    public void EveryTargetHasASeedCorpus()
    {
        foreach (string target in FuzzTargets.All.Keys)
        {
            int seeds = EnumerateInputs("FuzzCorpus").Count(input => input.Target == target);
            Assert.True(seeds >= 10, $"the fuzz target '{target}' has {seeds} seed inputs in fuzz/corpus/{target}");
        }
    }

    [Fact]
    public void RegressionFoldersAreNamedAfterTargets()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "FuzzRegressions");
        foreach (string folder in Directory.Exists(root) ? Directory.GetDirectories(root) : Array.Empty<string>())
        {
            Assert.Contains(Path.GetFileName(folder), FuzzTargets.All.Keys);
        }
    }

    private static IEnumerable<(string Target, string File)> EnumerateInputs(string folder)
    {
        string root = Path.Combine(AppContext.BaseDirectory, folder);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (string directory in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            foreach (string file in Directory.GetFiles(directory).Where(path => !path.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                yield return (Path.GetFileName(directory), Path.GetRelativePath(AppContext.BaseDirectory, file));
            }
        }
    }
}
