using System.Collections;
using System.Collections.Generic;

namespace Murder.Core.BEncoding;

/// <summary>A bencoded list (<c>l...e</c>).</summary>
public sealed class BList : BValue, IReadOnlyList<BValue>
{
    private readonly List<BValue> _items;

    /// <summary>Creates an empty list.</summary>
    public BList() => _items = new List<BValue>();

    /// <summary>Creates a list holding the given items.</summary>
    public BList(IEnumerable<BValue> items) => _items = new List<BValue>(items);

    /// <inheritdoc/>
    public BValue this[int index] => _items[index];

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <summary>Appends an item.</summary>
    public void Add(BValue item) => _items.Add(item);

    /// <inheritdoc/>
    public IEnumerator<BValue> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
