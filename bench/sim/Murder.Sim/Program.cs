using System;
using System.Globalization;

namespace Murder.Sim;

/// <summary>
/// Runs one simulated deploy and prints its figures; the last line is machine-readable. Arguments:
/// --peers N --size-mb MB --rate-mbit MBIT --latency-ms MS --wire-efficiency E --slow-share S --slow-factor X
/// --die-share S --seeder-dies --spread-s SECONDS --fair-uplink --no-super-seed --seed N --block-kib KIB --piece-kib KIB --limit-s SECONDS.
/// </summary>
public static class Program
{
    /// <summary>Parses the arguments, runs, prints; 2 on a bad argument.</summary>
    public static int Main(string[] args)
    {
        SimulationOptions options;
        try
        {
            options = Parse(args).Validate();
        }
        catch (Exception error) when (error is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"Murder.Sim: {error.Message}");
            return 2;
        }

        SimulationResult result = new Simulation(options) { Progress = line => Console.Error.WriteLine(line) }.Run();
        foreach (string line in Report.Lines(result))
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static SimulationOptions Parse(string[] args)
    {
        var options = new SimulationOptions();
        for (int index = 0; index < args.Length; index++)
        {
            string name = args[index];
            if (name == "--seeder-dies")
            {
                options = options with { SeederDies = true };
                continue;
            }

            if (name == "--no-super-seed")
            {
                options = options with { SuperSeed = false };
                continue;
            }

            if (name == "--fair-uplink")
            {
                options = options with { FairUplink = true };
                continue;
            }

            if (index + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            double value = double.Parse(args[++index], CultureInfo.InvariantCulture);
            options = name switch
            {
                "--peers" => options with { Peers = checked((int)value) },
                "--size-mb" => options with { Size = checked((long)(value * 1024 * 1024)) },
                "--rate-mbit" => options with { RateBitsPerSecond = value * 1e6 },
                "--latency-ms" => options with { Latency = TimeSpan.FromMilliseconds(value) },
                "--wire-efficiency" => options with { WireEfficiency = value },
                "--slow-share" => options with { SlowShare = value },
                "--slow-factor" => options with { SlowFactor = value },
                "--die-share" => options with { DieShare = value },
                "--spread-s" => options with { LaunchSpread = TimeSpan.FromSeconds(value) },
                "--seed" => options with { Seed = checked((int)value) },
                "--block-kib" => options with { BlockLength = checked((int)(value * 1024)) },
                "--piece-kib" => options with { PieceLength = checked((int)(value * 1024)) },
                "--limit-s" => options with { TimeLimit = TimeSpan.FromSeconds(value) },
                _ => throw new ArgumentException($"Unknown argument {name}."),
            };
        }

        return options;
    }
}
