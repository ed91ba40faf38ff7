using System.Collections;

namespace ResearchKit.Display;

/// <summary>
/// The formatter source every displayable kit type names in its <c>[TypeFormatterSource]</c> attribute: one
/// <see cref="RichDisplayFormatter"/> per MIME type the notebook kernel asks for, all backed by
/// <see cref="IRichDisplay.ToMimeBundle"/>. The kernel calls it by convention (reflection), so the member names and
/// shapes here are the contract.
/// </summary>
public sealed class RichDisplayFormatterSource
{
    /// <summary>The MIME types a formatter is created for.</summary>
    public static IReadOnlyList<string> MimeTypes { get; } = ["application/vnd.plotly.v1+json", "text/html", "text/markdown", "text/plain"];

    /// <summary>Parameterless constructor, required by the kernel (<c>Activator.CreateInstance</c>).</summary>
    public RichDisplayFormatterSource() { }

    /// <summary>One formatter per entry of <see cref="MimeTypes"/>.</summary>
    /// <returns><see cref="RichDisplayFormatter"/> instances (non-generic IEnumerable, as the convention expects).</returns>
    public IEnumerable CreateTypeFormatters()
    {
        foreach (var mime in MimeTypes) yield return new RichDisplayFormatter(mime);
    }
}
