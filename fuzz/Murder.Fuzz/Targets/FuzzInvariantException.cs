using System;

namespace Murder.Fuzz.Targets;

/// <summary>
/// A fuzz target found something wrong: a parser accepted input and then broke one of its own
/// promises (a round trip that differs, a file outside the staging root). Thrown so the fuzzer
/// records the input as a crash.
/// </summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }
}
