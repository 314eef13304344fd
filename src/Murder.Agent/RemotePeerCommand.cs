using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using Murder.Core;
using Murder.Core.Deployment;
using Murder.Core.Fleet;
using Murder.Core.Hosting;
using Murder.Core.Swarm;

namespace Murder.Agent;

/// <summary>
/// The short launch of a fleet deploy, run over SSH by a control machine with no PowerShell on the
/// peer: `AGENT Invoke-MurderPeer -Remote BASE64`. This process takes the torrent from its input,
/// checks the request (a non-empty target that does not hold this release is refused here), starts
/// the peer run as one detached agent (which downloads, reports to the tracker's deploy ledger,
/// extracts and lingers, long after this SSH command ended) and answers at once in the result
/// lines of <see cref="RemoteScript"/>: STARTED (the agent's process id, as JSON) or ERROR, then
/// END. It exits 0 once it has answered, errors included; a non-zero exit means it could not run
/// at all, and the command line then falls back to PowerShell.
/// </summary>
internal static class RemotePeerCommand
{
    public static int Run(BackgroundProcessStore store, string encoded, CancellationToken stopping)
    {
        PeerRunRequest? request = null;
        bool started = false;
        try
        {
            AgentArguments arguments = AgentArguments.Parse([RemoteCommandLine.AgentRemoteCommand, .. RemoteCommandLine.DecodeAgentArguments(encoded)]);
            int seedSeconds = InRange(arguments, "SeedSeconds", PeerRunRequest.DefaultSeedSeconds, 0, 86_400);
            request = new PeerRunRequest
            {
                Tag = arguments.Require("Tag"),
                TorrentPath = FullPath(arguments.Require("TorrentPath")),
                TempPath = FullPath(arguments.Require("TempPath")),
                DestinationPath = FullPath(arguments.Require("DestinationPath")),
                NoTagDirectory = arguments.GetBool("NoTagDirectory"),
                ReplaceExisting = arguments.GetBool("UnsafePleaseDelete"),
                StallTimeout = TimeSpan.FromSeconds(InRange(arguments, "StallTimeoutSeconds", PeerRunRequest.DefaultStallTimeoutSeconds, 5, 86_400)),
                Swarm = new SwarmSettings { ListenPort = InRange(arguments, "Port", 0, 0, 65_535) },
                ReportHost = arguments.Get("ReportHost"),
                UntilHostsDone = InRange(arguments, "UntilHostsDone", 0, 0, 1_000_000),
                RemoveTempFiles = arguments.GetBool("RemoveTempFiles"),
            };
            if (arguments.GetBool("TorrentFromInput"))
            {
                SaveTorrentFromInput(request.TorrentPath);
            }

            stopping.ThrowIfCancellationRequested();
            PeerRun.Prepare(request);
            AgentHost agent = AgentHost.ThisProcess();
            // The control machine's Invoke-MurderPeer began at (by its clock); an older one sends nothing: this launch.
            DateTime invokedAtUtc = PeerLaunch.ParseInvokedAt(arguments.Get(PeerLaunch.InvokedAtParameter)) ?? DateTime.UtcNow;
            int processId = PeerLaunch.Start(store, agent, request, seedSeconds, invokedAtUtc);
            started = true;
            Send("STARTED", "{\"ProcessId\":" + processId.ToString(CultureInfo.InvariantCulture) + "}");
        }
        catch (MurderException error)
        {
            SendError(error.ErrorId, error.Category.ToString(), error.Message);
        }
        catch (OperationCanceledException)
        {
            SendError("PeerStopped", nameof(MurderErrorCategory.OperationStopped), "The launch was stopped before the peer started.");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or OverflowException or System.ComponentModel.Win32Exception)
        {
            SendError("RemoteCommandFailed", nameof(MurderErrorCategory.NotSpecified), error.Message);
        }

        if (!started && request is { RemoveTempFiles: true })
        {
            // No peer runs to remove the torrent just handed over.
            TempFiles.Remove([request.TorrentPath], null);
        }

        Send("END", string.Empty);
        return 0;
    }

    /// <summary>
    /// The control machine sends the torrent on standard input (no SFTP session for one small
    /// file); it is written whole to TorrentPath (a temporary name, then a rename), at most the
    /// size a torrent may have.
    /// </summary>
    private static void SaveTorrentFromInput(string torrentPath)
    {
        int limit = Murder.Core.MetaInfo.MetaInfoReader.MaxTorrentFileSize;
        byte[] torrent;
        using (Stream input = Console.OpenStandardInput())
        using (var buffer = new MemoryStream())
        {
            byte[] chunk = new byte[64 * 1024];
            int read;
            while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > limit)
                {
                    throw new MurderException("InvalidTorrent", MurderErrorCategory.InvalidData, $"The torrent sent is larger than {limit:N0} bytes; torrent files over that size are refused.");
                }
            }

            torrent = buffer.ToArray();
        }

        string? directory = Path.GetDirectoryName(torrentPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = torrentPath + ".upload";
        File.WriteAllBytes(temporary, torrent);
        File.Move(temporary, torrentPath, overwrite: true);
    }

    private static int InRange(AgentArguments arguments, string name, int fallback, int minimum, int maximum)
    {
        int value = arguments.GetInt(name, fallback);
        return value >= minimum && value <= maximum
            ? value
            : throw new MurderException("InvalidArgument", MurderErrorCategory.InvalidArgument, $"-{name} {value} is outside {minimum} to {maximum}.");
    }

    /// <summary>A path as the remote PowerShell would resolve it: ~ is the home directory, relative paths start there.</summary>
    private static string FullPath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            path = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/', '\\'));
        }

        return Path.GetFullPath(path);
    }

    private static void SendError(string errorId, string category, string message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("ErrorId", errorId);
            json.WriteString("Category", category);
            json.WriteString("Message", message);
            json.WriteEndObject();
        }

        Send("ERROR", Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void Send(string kind, string text)
    {
        Console.Out.WriteLine(RemoteScript.LinePrefix + kind + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text)));
        Console.Out.Flush();
    }
}
