using System.Globalization;

namespace Murder.Cmdlets;

/// <summary>Byte counts for people (binary units), used by progress bars and format views.</summary>
public static class ByteFormatter
{
    private static readonly string[] Units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

    /// <summary>Formats a byte count: 512 B, 1.5 KiB, 12.0 MiB.</summary>
    public static string Format(double bytes)
    {
        int unit = 0;
        while (bytes >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {Units[unit]}");
    }
}
