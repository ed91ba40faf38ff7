using ResearchKit.Tensors;

namespace ResearchKit.Display;

/// <summary>Helpers that turn kit objects into notebook displays.</summary>
/// <remarks>Deliberately not an extension <c>Display(this object)</c>: the Polyglot kernel defines one in namespace System.</remarks>
public static class Display
{
    /// <summary>A displayable summary of <paramref name="tensor"/>: shape, dtype, grad state, min/max/mean/std, first values.</summary>
    /// <param name="tensor">Any tensor (empty tensors give NaN statistics).</param>
    public static TensorSummary Summarize(Tensor tensor) => new(tensor);

    /// <summary>
    /// Markdown shown formatted: the way a notebook states numbers from its own runs in prose (never typed in a
    /// markdown cell, so the text cannot disagree with the run).
    /// </summary>
    /// <param name="markdown">The markdown source, usually an interpolated string of computed values.</param>
    public static MarkdownText Markdown(string markdown) => new(markdown);

    /// <summary>
    /// The MIME bundle of any value: <see cref="IRichDisplay.ToMimeBundle"/> when implemented,
    /// <see cref="ChartDisplay.ToMimeBundle"/> for Plotly.NET charts, a <see cref="TensorSummary"/> for tensors, otherwise <c>text/plain</c> = <c>ToString()</c> ("null" for null).
    /// </summary>
    /// <param name="value">The value to show.</param>
    public static IReadOnlyDictionary<string, string> MimeBundleOf(object? value) => value switch
    {
        IRichDisplay rich => rich.ToMimeBundle(),
        Plotly.NET.GenericChart chart => ChartDisplay.ToMimeBundle(chart),
        Tensor t => Summarize(t).ToMimeBundle(),
        null => new Dictionary<string, string> { ["text/plain"] = "null" },
        _ => new Dictionary<string, string> { ["text/plain"] = value.ToString() ?? "" },
    };
}
