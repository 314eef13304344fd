using System;
using System.Linq;
using System.Text;
using Murder.Core.BEncoding;
using Xunit;

namespace Murder.Core.Tests.BEncoding;

public class BencodeReaderTests
{
    private static BValue Decode(string text) => BencodeReader.Decode(Encoding.Latin1.GetBytes(text));

    private static BencodeException Fails(string text) => Assert.Throws<BencodeException>(() => Decode(text));

    [Theory]
    [InlineData("i0e", 0L)]
    [InlineData("i42e", 42L)]
    [InlineData("i-42e", -42L)]
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    public void Integers_decode(string text, long expected)
    {
        Assert.Equal(expected, Assert.IsType<BInteger>(Decode(text)).Value);
    }

    [Theory]
    [InlineData("i-0e", "negative zero")]
    [InlineData("i01e", "leading zero")]
    [InlineData("i-01e", "leading zero")]
    [InlineData("ie", "no digits")]
    [InlineData("i-e", "no digits")]
    [InlineData("i9223372036854775808e", "64 bits")]
    [InlineData("i-9223372036854775809e", "64 bits")]
    [InlineData("i99999999999999999999999999e", "64 bits")]
    [InlineData("i12", "not terminated")]
    [InlineData("i1x2e", "unexpected byte")]
    [InlineData("i+1e", "unexpected byte")]
    public void Bad_integers_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_decode_without_copying()
    {
        byte[] input = Encoding.ASCII.GetBytes("4:spam");
        var value = Assert.IsType<BString>(BencodeReader.Decode(input));
        Assert.Equal("spam", value.Text);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(value.Bytes, out ArraySegment<byte> segment));
        Assert.Same(input, segment.Array);
    }

    [Fact]
    public void Empty_string_decodes()
    {
        Assert.Equal(0, Assert.IsType<BString>(Decode("0:")).Bytes.Length);
    }

    [Theory]
    [InlineData("06:foobar", "leading zero")]
    [InlineData("-10:x", "unexpected byte")]
    [InlineData("5:abc", "past the end")]
    [InlineData("99999999999999999999:x", "longer than the limit")]
    [InlineData("9223372036854775808:x", "longer than the limit")]
    [InlineData("3abc", "unexpected byte")]
    [InlineData("3", "not followed by ':'")]
    public void Bad_strings_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_and_dictionaries_decode()
    {
        var dictionary = Assert.IsType<BDictionary>(Decode("d3:bar4:spam3:fooi42e4:listl1:ai1eee"));
        Assert.Equal("spam", ((BString)dictionary["bar"]!).Text);
        Assert.Equal(42, ((BInteger)dictionary["foo"]!).Value);
        var list = Assert.IsType<BList>(dictionary["list"]);
        Assert.Equal(2, list.Count);
        Assert.Null(dictionary["missing"]);
    }

    [Theory]
    [InlineData("d3:fooi1e3:bari2ee", "out of order")]
    [InlineData("d3:fooi1e3:fooi2ee", "duplicate")]
    [InlineData("di1ei2ee", "must be a byte string")]
    [InlineData("d3:fooe", "has no value")]
    [InlineData("d3:foo", "ends inside")]
    [InlineData("l", "ends inside")]
    [InlineData("li1e", "ends inside")]
    [InlineData("e", "without an open")]
    [InlineData("", "empty")]
    [InlineData("i1ei2e", "trailing data")]
    [InlineData("le1:x", "trailing data")]
    [InlineData("x", "unexpected byte")]
    public void Malformed_structures_are_rejected(string text, string reason)
    {
        Assert.Contains(reason, Fails(text).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Million_deep_nesting_is_an_error_not_a_stack_overflow()
    {
        byte[] deep = Enumerable.Repeat((byte)'l', 1_000_000).Concat(Enumerable.Repeat((byte)'e', 1_000_000)).ToArray();
        var error = Assert.Throws<BencodeException>(() => BencodeReader.Decode(deep));
        Assert.Contains("deeper than 100", error.Message, StringComparison.Ordinal);
        Assert.Equal(100, error.Offset);
    }

    [Fact]
    public void Nesting_at_the_limit_is_accepted()
    {
        string text = new string('l', 100) + new string('e', 100);
        Assert.IsType<BList>(Decode(text));
    }

    [Fact]
    public void Token_limit_is_enforced()
    {
        string text = "l" + string.Concat(Enumerable.Repeat("i1e", 11)) + "e";
        var limits = new BencodeLimits { MaxTokens = 10 };
        var error = Assert.Throws<BencodeException>(() => BencodeReader.Decode(Encoding.ASCII.GetBytes(text), limits));
        Assert.Contains("more than 10 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dictionary_keeps_its_raw_encoding()
    {
        byte[] input = Encoding.ASCII.GetBytes("d4:infod1:ai1eee");
        var top = (BDictionary)BencodeReader.Decode(input);
        var info = (BDictionary)top["info"]!;
        Assert.Equal("d1:ai1ee", Encoding.ASCII.GetString(info.RawEncoding.Span));
        Assert.Equal(input, top.RawEncoding.ToArray());
    }

    [Fact]
    public void Random_input_never_throws_anything_but_bencode_errors()
    {
        var random = new Random(12345);
        byte[] alphabet = Encoding.ASCII.GetBytes("ilde0123456789:-ax");
        for (int round = 0; round < 20_000; round++)
        {
            byte[] input = new byte[random.Next(0, 24)];
            for (int index = 0; index < input.Length; index++)
            {
                input[index] = alphabet[random.Next(alphabet.Length)];
            }

            try
            {
                BValue value = BencodeReader.Decode(input);
                // Whatever decodes must be canonical: encoding gives the input back.
                Assert.Equal(input, BencodeWriter.Encode(value));
            }
            catch (BencodeException)
            {
            }
        }
    }
}
