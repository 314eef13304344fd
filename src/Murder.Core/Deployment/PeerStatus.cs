using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using Murder.Core.Swarm;

namespace Murder.Core.Deployment;

/// <summary>
/// Where a peer run is, as the agent running it reports to the Invoke-MurderPeer that started it:
/// the stage and swarm counters while it works, then the result or the error.
/// </summary>
public sealed record PeerStatus
{
    /// <summary>The stage.</summary>
    public PeerRunStage Stage { get; init; }

    /// <summary>The swarm's counters while downloading.</summary>
    public SwarmStatistics? Statistics { get; init; }

    /// <summary>The result, once done.</summary>
    public PeerRunResult? Result { get; init; }

    /// <summary>The error's stable id, when the run failed.</summary>
    public string? ErrorId { get; init; }

    /// <summary>The error's category (a <see cref="MurderErrorCategory"/> name).</summary>
    public string? ErrorCategory { get; init; }

    /// <summary>The error's message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Whether the run has ended, well or not.</summary>
    [JsonIgnore]
    public bool IsFinal => Result is not null || ErrorId is not null;

    /// <summary>A snapshot of a run in this process.</summary>
    public static PeerStatus From(PeerRunProgress progress) => new() { Stage = progress.Stage, Statistics = progress.Statistics };

    /// <summary>A failed run.</summary>
    public static PeerStatus Failed(MurderException error) => new()
    {
        ErrorId = error.ErrorId,
        ErrorCategory = error.Category.ToString(),
        ErrorMessage = error.Message,
    };

    /// <summary>The error this status reports, or null.</summary>
    public MurderException? ToException() => ErrorId is null ? null : new MurderException(
        ErrorId,
        Enum.TryParse(ErrorCategory, out MurderErrorCategory category) ? category : MurderErrorCategory.NotSpecified,
        ErrorMessage ?? ErrorId);
}

/// <summary>A <see cref="PeerStatus"/> in a small JSON file, replaced whole on every write.</summary>
public static class PeerStatusFile
{

    /// <summary>Replaces the file; a reader sees the old or the new status, never half of one.</summary>
    /// <param name="path">The status file.</param>
    /// <param name="status">What to write.</param>
    /// <param name="attempts">Tries when the file is held by a reader (Windows).</param>
    public static void Write(string path, PeerStatus status, int attempts = 1) =>
        WriteBytes(path, JsonSerializer.SerializeToUtf8Bytes(status, PeerStatusJson.Default.PeerStatus), attempts);

    /// <summary>
    /// Writes the status unless it is, byte for byte, <paramref name="previous"/> (what this writer
    /// wrote last), so a reader that waits for the file to change wakes only for news. Returns
    /// what the file holds now.
    /// </summary>
    public static byte[] WriteIfChanged(string path, PeerStatus status, byte[]? previous)
    {
        byte[] content = JsonSerializer.SerializeToUtf8Bytes(status, PeerStatusJson.Default.PeerStatus);
        if (previous is not null && content.AsSpan().SequenceEqual(previous))
        {
            return previous;
        }

        WriteBytes(path, content, 1);
        return content;
    }

    private static void WriteBytes(string path, byte[] content, int attempts)
    {
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, content);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                File.Move(temporary, path, overwrite: true);
                return;
            }
            catch (Exception error) when ((error is IOException or UnauthorizedAccessException) && attempt < attempts)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>The status as JSON text (the agent's result line over SSH).</summary>
    public static string ToJson(PeerStatus status) => JsonSerializer.Serialize(status, PeerStatusJson.Default.PeerStatus);

    /// <summary>A status from JSON text, or null when the text is not one.</summary>
    public static PeerStatus? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, PeerStatusJson.Default.PeerStatus);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The status in the file, or null when there is none yet (or it cannot be read now).</summary>
    public static PeerStatus? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), PeerStatusJson.Default.PeerStatus);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Compile-time JSON for <see cref="PeerStatus"/>: no reflection, so the Invoke-MurderPeer polling
/// the file JITs almost nothing (and ReadyToRun precompiles the rest).
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(PeerStatus))]
internal sealed partial class PeerStatusJson : JsonSerializerContext
{
}
