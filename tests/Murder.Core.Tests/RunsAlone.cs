using Xunit;

namespace Murder.Core.Tests;

/// <summary>
/// Tests that allocate tens of megabytes run in this collection, after and apart from all others,
/// so the tests that bound memory (GC.GetTotalMemory) measure only themselves.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
