using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Murder.Core.Tracker.Ledger;

/// <summary>
/// The JSON of GET /deploy (see the deploy ledger contract in the README), written with
/// Utf8JsonWriter straight into the response: no reflection (the agent is trimmed and AOT-compiled),
/// no intermediate objects per entry. Strings are escaped by the writer, so a host name or message
/// can never break out of its string.
/// </summary>
internal static class LedgerJson
{
    private static readonly JsonEncodedText NowUtc = JsonEncodedText.Encode("nowUtc");
    private static readonly JsonEncodedText Deploys = JsonEncodedText.Encode("deploys");
    private static readonly JsonEncodedText InfoHash = JsonEncodedText.Encode("infoHash");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Tag = JsonEncodedText.Encode("tag");
    private static readonly JsonEncodedText Size = JsonEncodedText.Encode("size");
    private static readonly JsonEncodedText FirstUtc = JsonEncodedText.Encode("firstUtc");
    private static readonly JsonEncodedText LastUtc = JsonEncodedText.Encode("lastUtc");
    private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
    private static readonly JsonEncodedText Hosts = JsonEncodedText.Encode("hosts");
    private static readonly JsonEncodedText Counts = JsonEncodedText.Encode("counts");
    private static readonly JsonEncodedText Downloaded = JsonEncodedText.Encode("downloaded");
    private static readonly JsonEncodedText Rate = JsonEncodedText.Encode("rate");
    private static readonly JsonEncodedText Entries = JsonEncodedText.Encode("entries");
    private static readonly JsonEncodedText Host = JsonEncodedText.Encode("host");
    private static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText Address = JsonEncodedText.Encode("address");
    private static readonly JsonEncodedText Stage = JsonEncodedText.Encode("stage");
    private static readonly JsonEncodedText Left = JsonEncodedText.Encode("left");
    private static readonly JsonEncodedText ErrorId = JsonEncodedText.Encode("errorId");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText Next = JsonEncodedText.Encode("next");
    private static readonly JsonEncodedText More = JsonEncodedText.Encode("more");
    private static readonly JsonEncodedText[] StageNames = CreateStageNames();
    private static readonly JsonEncodedText PeerRole = JsonEncodedText.Encode("peer");
    private static readonly JsonEncodedText SeederRole = JsonEncodedText.Encode("seeder");

    /// <summary>The list of deploys, newest first.</summary>
    public static void WriteList(IBufferWriter<byte> output, DateTime nowUtc, IReadOnlyList<DeploySummary> deploys)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        WriteTime(json, NowUtc, nowUtc.Ticks);
        json.WriteStartArray(Deploys);
        foreach (DeploySummary deploy in deploys)
        {
            json.WriteStartObject();
            WriteHash(json, deploy.InfoHash);
            json.WriteString(Name, deploy.Name);
            json.WriteString(Tag, deploy.Tag);
            json.WriteNumber(Size, deploy.Size);
            WriteTime(json, FirstUtc, deploy.FirstUtc.Ticks);
            WriteTime(json, LastUtc, deploy.LastUtc.Ticks);
            json.WriteNumber(Version, deploy.Version);
            json.WriteNumber(Hosts, deploy.Hosts);
            json.WriteStartObject(Counts);
            for (int i = 0; i < StageNames.Length; i++)
            {
                json.WriteNumber(StageNames[i], deploy.Counts[i]);
            }

            json.WriteEndObject();
            json.WriteNumber(Downloaded, deploy.Downloaded);
            json.WriteNumber(Rate, deploy.Rate);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One deploy and the entries at <paramref name="indexes"/>; the caller holds the ledger's lock.</summary>
    public static void WriteDeploy(IBufferWriter<byte> output, DateTime nowUtc, DeployLedger ledger, ReadOnlySpan<int> indexes, long next, bool more)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        WriteTime(json, NowUtc, nowUtc.Ticks);
        WriteHash(json, ledger.InfoHash);
        json.WriteString(Name, ledger.Name);
        json.WriteString(Tag, DeployLedgerRegistry.TagOf(ledger.Name));
        json.WriteNumber(Size, ledger.Size);
        WriteTime(json, FirstUtc, ledger.FirstTicks);
        WriteTime(json, LastUtc, ledger.LastTicks);
        json.WriteNumber(Version, ledger.Version);
        json.WriteNumber(Hosts, ledger.Count);
        json.WriteStartObject(Counts);
        for (int i = 0; i < StageNames.Length; i++)
        {
            json.WriteNumber(StageNames[i], ledger.CountOf((LedgerStage)i));
        }

        json.WriteEndObject();
        json.WriteNumber(Downloaded, ledger.Downloaded);
        json.WriteNumber(Rate, ledger.Rate);
        json.WriteStartArray(Entries);
        Span<byte> address = stackalloc byte[64];
        foreach (int index in indexes)
        {
            ref readonly LedgerEntry entry = ref ledger[index];
            json.WriteStartObject();
            json.WriteString(Host, entry.Host);
            json.WriteString(Role, entry.Role == LedgerRole.Seeder ? SeederRole : PeerRole);
            json.WriteString(Address, address[..DeployLedgerRegistry.FormatAddress(entry.Address, address)]);
            json.WriteString(Stage, StageNames[(int)entry.Stage]);
            WriteTime(json, FirstUtc, entry.FirstTicks);
            WriteTime(json, LastUtc, entry.LastTicks);
            json.WriteNumber(Downloaded, entry.Downloaded);
            json.WriteNumber(Left, entry.Left);
            json.WriteNumber(Rate, entry.Rate);
            WriteBytesOrNull(json, ErrorId, entry.ErrorId);
            WriteBytesOrNull(json, Message, entry.Message);
            json.WriteNumber(Version, entry.Version);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber(Next, next);
        json.WriteBoolean(More, more);
        json.WriteEndObject();
    }

    /// <summary>ISO 8601 UTC with milliseconds: 2026-12-03T15:04:05.123Z.</summary>
    private static void WriteTime(Utf8JsonWriter json, JsonEncodedText name, long utcTicks)
    {
        Span<byte> text = stackalloc byte[32];
        new DateTime(utcTicks, DateTimeKind.Utc).TryFormat(text, out int length, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        json.WriteString(name, text[..length]);
    }

    private static void WriteHash(Utf8JsonWriter json, Hash20 infoHash)
    {
        Span<byte> bytes = stackalloc byte[Hash20.Length];
        infoHash.CopyTo(bytes);
        Span<byte> hex = stackalloc byte[Hash20.Length * 2];
        const string Digits = "0123456789abcdef";
        for (int i = 0; i < bytes.Length; i++)
        {
            hex[i * 2] = (byte)Digits[bytes[i] >> 4];
            hex[(i * 2) + 1] = (byte)Digits[bytes[i] & 0xF];
        }

        json.WriteString(InfoHash, hex);
    }

    private static void WriteBytesOrNull(Utf8JsonWriter json, JsonEncodedText name, byte[]? utf8)
    {
        if (utf8 is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, utf8);
        }
    }

    private static JsonEncodedText[] CreateStageNames()
    {
        var names = new JsonEncodedText[LedgerNames.StageCount];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = JsonEncodedText.Encode(LedgerNames.Of((LedgerStage)i));
        }

        return names;
    }
}
