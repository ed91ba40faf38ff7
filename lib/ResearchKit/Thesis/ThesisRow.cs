namespace ResearchKit.Thesis;

/// <summary>One row of a thesis table: its label as printed and its numeric cells by column.</summary>
/// <param name="Label">Row label as printed (e.g. "30" for 30 % sparsity, "LSTM (Ours)", "CIFAR-10 binary/2").</param>
/// <param name="Values">Numeric cells by column header; columns without a number in this row are absent.</param>
/// <param name="Bold">Columns printed in bold in this row (the thesis marks results that beat its baseline in chapter 4, the best in chapter 5).</param>
public sealed record ThesisRow(string Label, IReadOnlyDictionary<string, double> Values, IReadOnlyList<string> Bold)
{
    private static readonly IReadOnlyDictionary<string, string> NoText = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Cells printed as text, by column header: a text column (e.g. "Dataset", "Method"), a printed form that differs from
    /// the number in <see cref="Values"/> ("binary" weights stored as 1 bit, "4/32*" activations stored as 4), or a dash
    /// printed where no number applies ("–", e.g. ΔP at 32/32). Empty when the row has none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Text { get; init; } = NoText;
}
