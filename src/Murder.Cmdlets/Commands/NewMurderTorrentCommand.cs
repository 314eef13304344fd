using System;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using Murder.Cmdlets.Fleet;
using Murder.Core;
using Murder.Core.Packaging;

namespace Murder.Cmdlets.Commands;

/// <summary>
/// New-MurderTorrent: packs a directory into TAG.tgz (or takes a file as it is) and writes
/// TAG.tgz.torrent beside it. Murder's create_torrent.
/// </summary>
[Cmdlet(VerbsCommon.New, "MurderTorrent", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TorrentCreationResult))]
public sealed class NewMurderTorrentCommand : MurderFleetCmdlet
{
    /// <summary>The deploy tag: letters, digits, '.', '_' and '-'.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Tag { get; set; } = string.Empty;

    /// <summary>The directory to deploy, or a file to use as the artifact as it is.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "FilesPath")]
    public string Path { get; set; } = string.Empty;

    /// <summary>The tracker: http://HOST:PORT/announce or HOST:PORT.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string Tracker { get; set; } = string.Empty;

    /// <summary>Where TAG.tgz and TAG.tgz.torrent are written; the system temp directory by default.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? OutputDirectory { get; set; }

    /// <summary>Bytes per piece: a power of two from 16 KiB to 64 MiB. Chosen from the size when left out.</summary>
    [Parameter]
    public int PieceLength { get; set; }

    /// <summary>How hard to compress the artifact.</summary>
    [Parameter]
    public ArtifactCompression CompressionLevel { get; set; } = ArtifactCompression.Fastest;

    /// <summary>Replace an existing artifact and torrent for the tag.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Leave the BEP 27 private flag off, so clients may also use DHT and peer exchange.</summary>
    [Parameter]
    public SwitchParameter Public { get; set; }

    /// <summary>The swarm secret the tracker checks; the torrent's announce URL gets the key derived from it.</summary>
    [Parameter]
    public System.Security.SecureString? SwarmSecret { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (QueueRemote("Pack a directory into a deploy artifact and torrent"))
        {
            return;
        }

        var request = new TorrentCreationRequest
        {
            Tag = Tag,
            SourcePath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
            Tracker = Tracker,
            OutputDirectory = OutputDirectory is null ? System.IO.Path.GetTempPath() : SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutputDirectory),
            PieceLength = MyInvocation.BoundParameters.ContainsKey(nameof(PieceLength)) ? PieceLength : null,
            Compression = CompressionLevel,
            Force = Force,
            Private = !Public,
            SwarmSecret = SwarmSecret is null ? null : SecretBytes.From(SwarmSecret),
            CreatedBy = "Murder " + typeof(NewMurderTorrentCommand).Assembly.GetName().Version?.ToString(3),
        };

        TorrentCreationPlan plan = Validate(() => TorrentCreator.Plan(request));
        string action = plan.SourceIsFile
            ? $"Create torrent for tag '{plan.Request.Tag}' from file '{plan.SourcePath}'"
            : $"Pack '{plan.SourcePath}' into a deploy artifact and torrent for tag '{plan.Request.Tag}'";
        if (!ShouldProcess(plan.ArtifactPath, action))
        {
            return;
        }

        var progress = new TorrentCreationProgress();
        var clock = Stopwatch.StartNew();
        TorrentCreationResult result = RunWithProgress(
            token => TorrentCreator.Create(plan, progress, token),
            () => Describe(plan, progress, clock.Elapsed));

        foreach (string skipped in result.Skipped)
        {
            WriteWarning($"Not packed: {skipped}.");
        }

        WriteObject(result);
    }

    private static ProgressRecord? Describe(TorrentCreationPlan plan, TorrentCreationProgress progress, TimeSpan elapsed)
    {
        long total = progress.EstimatedTotalBytes;
        long done = progress.BytesProcessed;
        if (total <= 0)
        {
            return new ProgressRecord(1, $"Packing {plan.Request.Tag}", "Scanning " + plan.SourcePath);
        }

        double rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        var record = new ProgressRecord(1, $"Packing {plan.Request.Tag}", $"{FormatBytes(done)} of about {FormatBytes(total)} at {FormatBytes(rate)}/s, {FormatBytes(progress.BytesWritten)} written")
        {
            PercentComplete = (int)Math.Min(100, done * 100 / total),
        };
        if (rate > 0 && total > done)
        {
            record.SecondsRemaining = (int)((total - done) / rate);
        }

        return record;
    }
}
