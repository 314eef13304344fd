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
        WriteBytes(path, JsonSerializer.SerializeToUtf8Bytes(status, PeerStatusWriterJson.Default.PeerStatus), attempts);

    /// <summary>
    /// Where the final status is written too, first: a follower that needs no progress (the agent
    /// relaying a run over SSH) waits for this file to appear with one stat per tick, and parses
    /// nothing until then.
    /// </summary>
    public static string FinalPath(string path) => path + ".final";

    /// <summary>Writes the final status: to <see cref="FinalPath"/>, then to the status file.</summary>
    /// <param name="path">The status file.</param>
    /// <param name="status">The result or the error.</param>
    /// <param name="attempts">Tries when a file is held by a reader (Windows).</param>
    public static void WriteFinal(string path, PeerStatus status, int attempts = 1)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!status.IsFinal)
        {
            throw new ArgumentException("Only a result or an error is a final status.", nameof(status));
        }

        byte[] content = JsonSerializer.SerializeToUtf8Bytes(status, PeerStatusWriterJson.Default.PeerStatus);
        WriteBytes(FinalPath(path), content, attempts);
        WriteBytes(path, content, attempts);
    }

    /// <summary>
    /// Writes the status unless it is, byte for byte, <paramref name="previous"/> (what this writer
    /// wrote last), so a reader that waits for the file to change wakes only for news. Returns
    /// what the file holds now.
    /// </summary>
    public static byte[] WriteIfChanged(string path, PeerStatus status, byte[]? previous)
    {
        byte[] content = JsonSerializer.SerializeToUtf8Bytes(status, PeerStatusWriterJson.Default.PeerStatus);
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
    public static string ToJson(PeerStatus status) => JsonSerializer.Serialize(status, PeerStatusWriterJson.Default.PeerStatus);

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

/// <summary>
/// The writer's side: generated code that writes a <see cref="PeerStatus"/> straight to a
/// Utf8JsonWriter, with none of the metadata (one JsonPropertyInfo per property, each a generic
/// instantiation over its type) that the agent, compiling everything fully at start-up, paid about
/// 200 JIT compilations for.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(PeerStatus))]
internal sealed partial class PeerStatusWriterJson : JsonSerializerContext
{
}
