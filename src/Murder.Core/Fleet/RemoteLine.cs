using System;
using System.Text;
using System.Text.Json;

namespace Murder.Core.Fleet;

/// <summary>One decoded result line of a remote script (see <see cref="RemoteScript"/>).</summary>
public sealed record RemoteLine(RemoteLineKind Kind, string Text)
{
    private const int MaxLineLength = 64 * 1024 * 1024;

    /// <summary>Decodes a line; null for anything that is not a well-formed result line.</summary>
    public static RemoteLine? TryParse(string? line)
    {
        if (line is null || line.Length > MaxLineLength || !line.StartsWith(RemoteScript.LinePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        string rest = line[RemoteScript.LinePrefix.Length..].TrimEnd('\r');
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        string kindText = space < 0 ? rest : rest[..space];
        string payload = space < 0 ? string.Empty : rest[(space + 1)..];
        RemoteLineKind? kind = kindText switch
        {
            "OBJECT" => RemoteLineKind.Result,
            "WARNING" => RemoteLineKind.Warning,
            "ERROR" => RemoteLineKind.Error,
            "END" => RemoteLineKind.End,
            "STARTED" => RemoteLineKind.Started,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        try
        {
            return new RemoteLine(kind.Value, Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The error an ERROR line reports, targeting <paramref name="computerName"/>.</summary>
    public MurderException ToException(string computerName)
    {
        string errorId = "RemoteCommandFailed";
        string category = nameof(MurderErrorCategory.NotSpecified);
        string message = Text;
        try
        {
            using JsonDocument document = JsonDocument.Parse(Text);
            JsonElement root = document.RootElement;
            errorId = Read(root, "ErrorId") ?? errorId;
            category = Read(root, "Category") ?? category;
            message = Read(root, "Message") ?? message;
        }
        catch (JsonException)
        {
            // Not JSON: the text itself is the message.
        }

        if (errorId.Length == 0 || errorId.Length > 100 || !IsPlainName(errorId))
        {
            errorId = "RemoteCommandFailed";
        }

        MurderErrorCategory parsed = Enum.TryParse(category, out MurderErrorCategory known) ? known : MurderErrorCategory.NotSpecified;
        return new MurderException(errorId, parsed, $"{computerName}: {message}") { TargetObject = computerName };
    }

    private static string? Read(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsPlainName(string text)
    {
        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
