namespace ResearchKit.Display;

/// <summary>
/// A convention-based type formatter for the notebook kernel: writes the <see cref="MimeType"/> entry of an
/// <see cref="IRichDisplay"/>'s MIME bundle. For <c>text/html</c> without an HTML entry it writes the escaped
/// <c>text/plain</c> entry in a <c>&lt;pre&gt;</c>.
/// </summary>
/// <remarks>The kernel looks <c>Format</c> up by name, so it must stay the only method called Format.</remarks>
public sealed class RichDisplayFormatter
{
    /// <summary>Creates a formatter for one MIME type.</summary>
    /// <param name="mimeType">E.g. <c>"text/html"</c>.</param>
    public RichDisplayFormatter(string mimeType)
    {
        ArgumentException.ThrowIfNullOrEmpty(mimeType);
        MimeType = mimeType;
    }

    /// <summary>The MIME type this formatter produces.</summary>
    public string MimeType { get; }

    /// <summary>The formatted type: every <see cref="IRichDisplay"/> (the kernel checks assignability).</summary>
    public Type Type => typeof(IRichDisplay);

    /// <summary>Writes <paramref name="instance"/> in <see cref="MimeType"/>.</summary>
    /// <param name="instance">The object being displayed.</param>
    /// <param name="writer">The kernel's output.</param>
    /// <returns>False when the instance is not an <see cref="IRichDisplay"/> or has no form for this MIME type, so the kernel falls back.</returns>
    public bool Format(object instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (instance is not IRichDisplay display) return false;
        var bundle = display.ToMimeBundle();
        if (bundle.TryGetValue(MimeType, out var content))
        {
            writer.Write(content);
            return true;
        }
        if (MimeType == "text/html" && bundle.TryGetValue("text/plain", out var plain))
        {
            writer.Write("<pre>");
            writer.Write(System.Net.WebUtility.HtmlEncode(plain));
            writer.Write("</pre>");
            return true;
        }
        return false;
    }
}
