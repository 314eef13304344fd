namespace Murder.Core.BEncoding;

/// <summary>A bencoded value: an integer, a byte string, a list or a dictionary.</summary>
public abstract class BValue
{
    private protected BValue()
    {
    }
}
