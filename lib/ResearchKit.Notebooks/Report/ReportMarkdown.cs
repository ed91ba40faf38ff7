using Markdig;

namespace ResearchKit.Notebooks.Report;

/// <summary>
/// Markdown of notebook cells to HTML with Markdig: CommonMark, pipe tables and <c>$…$</c>/<c>$$…$$</c> math, which
/// Markdig emits as <c>&lt;span class="math"&gt;\(…\)&lt;/span&gt;</c> and <c>&lt;div class="math"&gt;\[…\]&lt;/div&gt;</c>
/// for KaTeX to draw in the report. Raw HTML in the Markdown is shown as text, not passed through.
/// </summary>
public static class ReportMarkdown
{
    private static readonly MarkdownPipeline s_pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseMathematics()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .DisableHtml()
        .Build();

    /// <summary>Converts Markdown to an HTML fragment.</summary>
    /// <param name="markdown">Markdown text.</param>
    public static string ToHtml(string markdown) => Markdown.ToHtml(markdown, s_pipeline);
}
