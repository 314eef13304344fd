using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text.Json;

namespace Murder.Core.Tracker.Web;

/// <summary>
/// GET /swarms: every torrent's seeders, leechers and completed downloads as JSON, for the live
/// page (what the old status page listed). No peer addresses, no swarm keys.
/// </summary>
internal static class SwarmListJson
{
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<SwarmSnapshot> swarms, int peerCount, bool open)
    {
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("nowUtc", DateTime.UtcNow);
            json.WriteBoolean("open", open);
            json.WriteNumber("peers", peerCount);
            json.WriteStartArray("swarms");
            foreach (SwarmSnapshot swarm in swarms)
            {
                json.WriteStartObject();
                json.WriteString("infoHash", swarm.InfoHash.ToHex());
                json.WriteString("name", swarm.Name);
                json.WriteBoolean("registered", swarm.Registered);
                json.WriteNumber("seeders", swarm.Seeders);
                json.WriteNumber("leechers", swarm.Leechers);
                json.WriteNumber("completed", swarm.Completed);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }
    }
}
