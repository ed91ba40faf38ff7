namespace ResearchKit.Display;

/// <summary>
/// Markdown computed by a cell (findings written from the run's numbers), shown as formatted text in notebooks and in
/// the HTML report, and as the raw markdown where only plain text is shown. Create it with <see cref="Display.Markdown"/>.
/// </summary>
/// <param name="Text">The markdown source.</param>
[TypeFormatterSource(typeof(RichDisplayFormatterSource), PreferredMimeTypes = ["text/markdown", "text/plain"])]
public sealed record MarkdownText(string Text) : IRichDisplay
{
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ToMimeBundle() =>
        new Dictionary<string, string> { ["text/plain"] = Text, ["text/markdown"] = Text };

    /// <summary>The markdown source.</summary>
    public override string ToString() => Text;
}
