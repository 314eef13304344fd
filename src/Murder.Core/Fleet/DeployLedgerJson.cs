using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Murder.Core.Deployment;

namespace Murder.Core.Fleet;

/// <summary>Reads the deploy ledger's JSON answers (the shared contract); strict about types, tolerant of extra fields.</summary>
public static class DeployLedgerJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    /// <summary>`GET /deploy`: every deploy.</summary>
    public static DeployList ParseList(ReadOnlyMemory<byte> json)
    {
        using JsonDocument document = Parse(json);
        JsonElement root = document.RootElement;
        var deploys = new List<DeploySummary>();
        if (root.TryGetProperty("deploys", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                deploys.Add(Summary(item));
            }
        }

        return new DeployList { NowUtc = Time(root, "nowUtc") ?? DateTime.UtcNow, Deploys = deploys };
    }

    /// <summary>`GET /deploy?info_hash=...`: one deploy and its changed entries.</summary>
    public static DeployLedgerPage ParsePage(ReadOnlyMemory<byte> json)
    {
        using JsonDocument document = Parse(json);
        JsonElement root = document.RootElement;
        DateTime now = Time(root, "nowUtc") ?? DateTime.UtcNow;
        DeploySummary deploy = Summary(root);
        var entries = new List<DeployLedgerEntry>();
        if (root.TryGetProperty("entries", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                // An entry with a stage this reader does not know is skipped, not fatal.
                if (item.ValueKind == JsonValueKind.Object && Text(item, "host") is string host && DeployStages.TryParse(Text(item, "stage"), out DeployStage stage))
                {
                    DateTime last = Time(item, "lastUtc") ?? default;
                    entries.Add(new DeployLedgerEntry
                    {
                        InfoHash = deploy.InfoHash,
                        Tag = deploy.Tag,
                        SilentFor = last == default || last > now ? TimeSpan.Zero : now - last,
                        Host = host,
                        Role = Text(item, "role") ?? "peer",
                        Address = Text(item, "address"),
                        Stage = stage,
                        FirstUtc = Time(item, "firstUtc") ?? default,
                        LastUtc = last,
                        Downloaded = Number(item, "downloaded"),
                        Left = Number(item, "left"),
                        Rate = Number(item, "rate"),
                        ErrorId = Text(item, "errorId"),
                        Message = Text(item, "message"),
                        Version = Number(item, "version"),
                    });
                }
            }
        }

        return new DeployLedgerPage
        {
            NowUtc = now,
            Deploy = deploy,
            Version = Number(root, "version"),
            Entries = entries,
            Next = Number(root, "next"),
            More = root.TryGetProperty("more", out JsonElement more) && more.ValueKind == JsonValueKind.True,
        };
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            JsonDocument document = JsonDocument.Parse(json, Options);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new JsonException("the answer is not a JSON object");
            }

            return document;
        }
        catch (JsonException error)
        {
            throw new MurderException("DeployLedgerInvalid", MurderErrorCategory.InvalidData, $"The tracker's deploy ledger answered something that is not its JSON ({error.Message}). Is it a Murder tracker with a deploy ledger?", error);
        }
    }

    private static DeploySummary Summary(JsonElement item)
    {
        var counts = new Dictionary<DeployStage, int>();
        if (item.TryGetProperty("counts", out JsonElement countsElement) && countsElement.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty count in countsElement.EnumerateObject())
            {
                if (DeployStages.TryParse(count.Name, out DeployStage stage) && count.Value.ValueKind == JsonValueKind.Number && count.Value.TryGetInt32(out int value))
                {
                    counts[stage] = value;
                }
            }
        }

        return new DeploySummary
        {
            InfoHash = Text(item, "infoHash") ?? string.Empty,
            Name = Text(item, "name"),
            Tag = Text(item, "tag"),
            Size = Number(item, "size"),
            FirstUtc = Time(item, "firstUtc"),
            LastUtc = Time(item, "lastUtc"),
            Hosts = (int)Math.Min(int.MaxValue, Number(item, "hosts")),
            Counts = counts,
        };
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Number(JsonElement item, string name) =>
        item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : 0;

    private static DateTime? Time(JsonElement item, string name) =>
        Text(item, name) is string text && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime time)
            ? DateTime.SpecifyKind(time, DateTimeKind.Utc)
            : null;
}
