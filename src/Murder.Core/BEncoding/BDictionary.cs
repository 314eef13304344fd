using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace Murder.Core.BEncoding;

/// <summary>
/// A bencoded dictionary (<c>d...e</c>). Keys are byte strings kept in ascending byte order, as
/// canonical bencode requires, so writing it back is canonical by construction.
/// </summary>
public sealed class BDictionary : BValue, IReadOnlyCollection<KeyValuePair<BString, BValue>>
{
    private readonly List<KeyValuePair<BString, BValue>> _entries = new();

    /// <summary>
    /// For a dictionary read from bytes: where its encoding starts and how long it is in the source.
    /// The info-hash is the SHA-1 of exactly these bytes.
    /// </summary>
    public ReadOnlyMemory<byte> RawEncoding { get; internal set; }

    /// <inheritdoc/>
    public int Count => _entries.Count;

    /// <summary>Gets the value of a key given as text, or null.</summary>
    public BValue? this[string key]
    {
        get
        {
            int index = IndexOf(Encoding.UTF8.GetBytes(key));
            return index >= 0 ? _entries[index].Value : null;
        }
    }

    /// <summary>Sets a key (text, UTF-8) to a value, keeping keys in order.</summary>
    public void Set(string key, BValue value) => Set(new BString(key), value);

    /// <summary>Sets a key to a value, keeping keys in order.</summary>
    public void Set(BString key, BValue value)
    {
        int index = IndexOf(key.Bytes.Span);
        if (index >= 0)
        {
            _entries[index] = new KeyValuePair<BString, BValue>(key, value);
        }
        else
        {
            _entries.Insert(~index, new KeyValuePair<BString, BValue>(key, value));
        }
    }

    /// <summary>Appends a key known to sort after every key present (the reader's fast path).</summary>
    internal void AppendInOrder(BString key, BValue value) => _entries.Add(new KeyValuePair<BString, BValue>(key, value));

    /// <summary>The last key, for the reader's ordering check.</summary>
    internal BString? LastKey => _entries.Count == 0 ? null : _entries[^1].Key;

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(string key) => IndexOf(Encoding.UTF8.GetBytes(key)) >= 0;

    /// <summary>Gets the value of a key if present and of type <typeparamref name="T"/>.</summary>
    public bool TryGet<T>(string key, out T value)
        where T : BValue
    {
        if (this[key] is T typed)
        {
            value = typed;
            return true;
        }

        value = null!;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<BString, BValue>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(ReadOnlySpan<byte> key)
    {
        int low = 0;
        int high = _entries.Count - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            int comparison = _entries[middle].Key.Bytes.Span.SequenceCompareTo(key);
            if (comparison == 0)
            {
                return middle;
            }

            if (comparison < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
