using System.Text;
using Murder.Core.BEncoding;
using Xunit;

namespace Murder.Core.Tests.BEncoding;

public class BencodeWriterTests
{
    [Fact]
    public void Dictionary_keys_are_written_sorted_by_bytes()
    {
        var dictionary = new BDictionary();
        dictionary.Set("zeta", new BInteger(1));
        dictionary.Set("alpha", new BString("x"));
        dictionary.Set("Beta", new BList { new BInteger(-3) });
        dictionary.Set("alpha", new BString("y")); // replaced, not duplicated
        Assert.Equal("d4:Betali-3ee5:alpha1:y4:zetai1ee", Encoding.ASCII.GetString(BencodeWriter.Encode(dictionary)));
    }

    [Fact]
    public void Round_trip_is_byte_exact()
    {
        const string text = "d8:announce19:http://x:1/announce4:infod6:lengthi5e4:name3:a.b12:piece lengthi16384e6:pieces0:ee";
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(bytes, BencodeWriter.Encode(BencodeReader.Decode(bytes)));
    }

    [Fact]
    public void Utf8_text_round_trips()
    {
        var value = new BString("Überstunden-€");
        var decoded = (BString)BencodeReader.Decode(BencodeWriter.Encode(value));
        Assert.Equal("Überstunden-€", decoded.Text);
    }
}
