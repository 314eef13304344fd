using System;
using System.Globalization;
using System.Text;

namespace Murder.Core.Tracker.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): a HELP and a TYPE line per
/// family, then its samples, label values escaped.
/// </summary>
internal sealed class PrometheusWriter
{
    /// <summary>The Content-Type Prometheus expects for this format.</summary>
    public static ReadOnlySpan<byte> ContentType => "text/plain; version=0.0.4; charset=utf-8"u8;

    private readonly StringBuilder _text = new(4096);

    /// <summary>Starts a metric family.</summary>
    public PrometheusWriter Family(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ');
        foreach (char c in help)
        {
            _ = c switch
            {
                '\\' => _text.Append("\\\\"),
                '\n' => _text.Append("\\n"),
                _ => _text.Append(c),
            };
        }

        _text.Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>A sample without labels.</summary>
    public PrometheusWriter Sample(string name, double value) => Sample(name, ReadOnlySpan<string>.Empty, value);

    /// <summary>A sample with labels given as name, value, name, value...</summary>
    public PrometheusWriter Sample(string name, ReadOnlySpan<string> labels, double value)
    {
        _text.Append(name);
        if (!labels.IsEmpty)
        {
            _text.Append('{');
            for (int i = 0; i + 1 < labels.Length; i += 2)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(labels[i]).Append("=\"");
                AppendLabelValue(labels[i + 1]);
                _text.Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ');
        AppendValue(value);
        _text.Append('\n');
        return this;
    }

    /// <summary>The text so far.</summary>
    public override string ToString() => _text.ToString();

    /// <summary>The text so far, UTF-8.</summary>
    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_text.ToString());

    private void AppendLabelValue(string value)
    {
        foreach (char c in value)
        {
            _ = c switch
            {
                '\\' => _text.Append("\\\\"),
                '"' => _text.Append("\\\""),
                '\n' => _text.Append("\\n"),
                _ => _text.Append(c),
            };
        }
    }

    private void AppendValue(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            _text.Append("+Inf");
        }
        else if (double.IsNegativeInfinity(value))
        {
            _text.Append("-Inf");
        }
        else if (double.IsNaN(value))
        {
            _text.Append("NaN");
        }
        else if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            // Whole numbers (every counter) without an exponent or a trailing ".0".
            _text.Append(((long)value).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            _text.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
