using System.Globalization;

namespace Murder.Core.BEncoding;

/// <summary>A bencoded integer (<c>i42e</c>), limited to 64 bits.</summary>
public sealed class BInteger : BValue
{
    /// <summary>Creates an integer value.</summary>
    public BInteger(long value) => Value = value;

    /// <summary>The value.</summary>
    public long Value { get; }

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
