using System;
using System.Collections.Generic;

namespace Murder.Fuzz.Targets;

/// <summary>
/// Every fuzz target by name. The name is also the corpus folder (fuzz/corpus/NAME) and the
/// regression folder (tests/Murder.Core.Tests/FuzzRegressions/NAME). A target returns normally for
/// any input the parser handles as documented (accepted, or refused with its documented
/// exception) and throws for anything else.
/// </summary>
internal static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["bencode"] = BencodeTarget.Run,
        ["metainfo"] = MetaInfoTarget.Run,
        ["tracker"] = TrackerTarget.Run,
        ["peerwire"] = PeerWireTarget.Run,
        ["extract"] = ExtractTarget.Run,
        ["safepath"] = SafePathTarget.Run,
    };

    public static Action<byte[]> Get(string name) =>
        All.TryGetValue(name, out Action<byte[]>? target)
            ? target
            : throw new ArgumentException($"Unknown fuzz target '{name}'. Targets: {string.Join(", ", All.Keys)}.", nameof(name));
}
