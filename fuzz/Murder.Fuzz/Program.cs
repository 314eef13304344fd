using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Murder.Fuzz.Targets;
using SharpFuzz;

namespace Murder.Fuzz;

/// <summary>
/// The fuzzing harness. "Murder.Fuzz TARGET" runs one target under afl-fuzz (SharpFuzz's fork
/// server, out of process so even a stack overflow is reported as a crash); "Murder.Fuzz TARGET
/// --replay PATH..." runs files or folders of inputs through it once and reports each.
/// fuzz/Invoke-Fuzzing.ps1 builds, instruments and runs every target.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || !FuzzTargets.All.ContainsKey(args[0]))
        {
            Console.Error.WriteLine($"Usage: Murder.Fuzz TARGET [--replay PATH...]. Targets: {string.Join(", ", FuzzTargets.All.Keys)}.");
            return 2;
        }

        Action<byte[]> target = FuzzTargets.Get(args[0]);
        if (args.Length > 1 && args[1] == "--replay")
        {
            return Replay(target, args.Skip(2));
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target(copy.ToArray());
        });
        return 0;
    }

    private static int Replay(Action<byte[]> target, IEnumerable<string> paths)
    {
        int failed = 0, total = 0;
        foreach (string file in paths.SelectMany<string, string>(path => Directory.Exists(path) ? Directory.GetFiles(path).Order(StringComparer.Ordinal) : new[] { path }))
        {
            total++;
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception error)
            {
                failed++;
                Console.WriteLine($"FAIL {file}: {error}");
            }
        }

        Console.WriteLine($"{total - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
