namespace ResearchKit.Thesis;

/// <summary>One row of a thesis table: its label as printed and its numeric cells by column.</summary>
/// <param name="Label">Row label as printed (e.g. "30" for 30 % sparsity, "LSTM (Ours)").</param>
/// <param name="Values">Numeric cells by column header; columns without a number in this row are absent.</param>
/// <param name="Bold">Columns printed in bold in this row (the thesis marks results that beat its baseline).</param>
public sealed record ThesisRow(string Label, IReadOnlyDictionary<string, double> Values, IReadOnlyList<string> Bold);
