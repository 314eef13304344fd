using System;
using System.Globalization;

namespace Murder.Core.Hosting;

/// <summary>One line of a background process's log: local time, then the text.</summary>
public static class LogLine
{
    /// <summary>"yyyy-MM-dd HH:mm:ss text".</summary>
    public static string Format(string text) =>
        DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss ", CultureInfo.InvariantCulture) + text;
}
