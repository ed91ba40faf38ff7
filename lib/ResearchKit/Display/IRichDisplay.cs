namespace ResearchKit.Display;

/// <summary>
/// An object that can show itself in a notebook in several representations at once
/// (the Jupyter "MIME bundle"): the front end picks the richest one it can render.
/// </summary>
/// <remarks>
/// Used by the headless runner's <c>display(...)</c> and trailing-expression values, and by the
/// Polyglot Notebooks formatter sources (<c>RichDisplayFormatterSource</c>).
/// </remarks>
public interface IRichDisplay
{
    /// <summary>
    /// The representations of this object, keyed by MIME type (e.g. <c>"text/plain"</c>, <c>"text/html"</c>,
    /// <c>"text/markdown"</c>, <c>"application/vnd.plotly.v1+json"</c> as JSON text) with the content as a string.
    /// <c>"text/plain"</c> is always present so every front end can show something.
    /// </summary>
    /// <returns>A dictionary from MIME type to content; never empty, always contains <c>"text/plain"</c>.</returns>
    IReadOnlyDictionary<string, string> ToMimeBundle();
}
