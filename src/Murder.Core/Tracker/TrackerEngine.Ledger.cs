using System;
using Murder.Core.Tracker.Ledger;

namespace Murder.Core.Tracker;

/// <summary>The deploy ledger's routes: /report (peers write) and /deploy (anyone reads).</summary>
internal sealed partial class TrackerEngine
{
    private static ReadOnlySpan<byte> Json => "application/json"u8;

    /// <summary>
    /// A report: checked like an announce (values, swarm key, registered torrent), then recorded.
    /// Answers the interval until the next periodic report, or the bencoded failure.
    /// </summary>
    private void Report(ReadOnlySpan<byte> query, in TrackerClientInfo client, ResponseBuilder output)
    {
        Span<byte> scratch = stackalloc byte[LedgerQueryParser.ScratchBytes];
        string? failure = LedgerQueryParser.ParseReport(query, scratch, out ReportRequest request);
        ReportRefusal refusal = ReportRefusal.Invalid;
        if (failure is null && CheckSwarmKey(request.InfoHash, request.SwarmKey) is string keyFailure)
        {
            (failure, refusal) = (keyFailure, ReportRefusal.SwarmKey);
        }

        string? name = null;
        long size = 0;
        if (failure is null && !_registry.Serves(request.InfoHash, out name, out size))
        {
            (failure, refusal) = (SwarmRegistry.UnregisteredFailure, ReportRefusal.Unregistered);
        }

        if (failure is not null)
        {
            _ledgers.CountRefusal(refusal);
            output.WriteFailure(failure);
            return;
        }

        failure = _ledgers.Report(request, client.Address, name, size);
        if (failure is not null)
        {
            output.WriteFailure(failure);
            return;
        }

        output.Write("d8:interval"u8);
        output.WriteInteger((long)_options.ReportInterval.TotalSeconds);
        output.WriteByte((byte)'e');
    }

    /// <summary>A ledger read: every deploy, or one torrent's entries after a version. Returns the HTTP status.</summary>
    private int Deploy(ReadOnlySpan<byte> query, ReadOnlySpan<byte> host, ResponseBuilder output, out ReadOnlySpan<byte> contentType)
    {
        contentType = PlainText;
        if (!HostHeader.IsTrusted(host, _options.AllowedHostNames))
        {
            output.WriteFailure("the deploy ledger is served only under an IP address, localhost, this machine's name or a name given to Start-MurderTracker -AllowedHostName: reach the tracker by one of those, or start it with -AllowedHostName and this name");
            return 403;
        }

        string? failure = LedgerQueryParser.ParseRead(query, out DeployQuery request);
        if (failure is not null)
        {
            output.WriteFailure(failure);
            return 400;
        }

        if (!request.HasInfoHash)
        {
            _ledgers.WriteList(output);
        }
        else if (!_ledgers.WriteDeploy(request, output))
        {
            output.WriteFailure("no deploy ledger for this info_hash: no host has reported to this tracker for it");
            return 404;
        }

        contentType = Json;
        return 200;
    }
}
