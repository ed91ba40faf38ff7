using System.Globalization;
using System.Text;
using ResearchKit.Tensors;

namespace ResearchKit.Display;

/// <summary>
/// A snapshot summary of a <see cref="Tensor"/> for notebooks: shape, dtype, grad state, min/max/mean/std
/// (computed in double, NaN/Inf counted separately) and the first values. Create it with <see cref="Display.Summarize"/>.
/// </summary>
[TypeFormatterSource(typeof(RichDisplayFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class TensorSummary : IRichDisplay
{
    /// <summary>How many leading values (row-major) are shown.</summary>
    public const int ShownValues = 10;

    internal TensorSummary(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Shape = tensor.Shape.ToArray();
        DType = tensor.DType;
        RequiresGrad = tensor.RequiresGrad;
        GradFn = tensor.GradFn?.Name;
        Name = tensor.Name;
        Numel = tensor.Numel;

        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        int finite = 0, nonFinite = 0;
        var first = new List<double>(Math.Min(ShownValues, Numel));
        // Int64 tensors are read exactly (long → double) rather than through the float32 conversion of ToArray.
        double[] values = DType == DType.Int64
            ? Array.ConvertAll(tensor.ToInt64Array(), x => (double)x)
            : Array.ConvertAll(tensor.ToArray(), x => (double)x);
        foreach (var v in values)
        {
            if (first.Count < ShownValues) first.Add(v);
            if (!double.IsFinite(v)) { nonFinite++; continue; }
            finite++;
            sum += v;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        double mean = finite > 0 ? sum / finite : double.NaN, ss = 0;
        foreach (var v in values) if (double.IsFinite(v)) ss += (v - mean) * (v - mean);
        Min = finite > 0 ? min : double.NaN;
        Max = finite > 0 ? max : double.NaN;
        Mean = mean;
        Std = finite > 1 ? Math.Sqrt(ss / (finite - 1)) : double.NaN;   // like torch.std (correction 1)
        NonFiniteCount = nonFinite;
        FirstValues = first;
    }

    /// <summary>Dimensions.</summary>
    public IReadOnlyList<int> Shape { get; }
    /// <summary>Element type.</summary>
    public DType DType { get; }
    /// <summary>Whether the tensor requires gradients.</summary>
    public bool RequiresGrad { get; }
    /// <summary>Name of the producing autograd node, or null for leaves.</summary>
    public string? GradFn { get; }
    /// <summary>The tensor's name (parameters carry their state-dict name), or null.</summary>
    public string? Name { get; }
    /// <summary>Number of elements.</summary>
    public int Numel { get; }
    /// <summary>Smallest finite value (NaN when there is none).</summary>
    public double Min { get; }
    /// <summary>Largest finite value (NaN when there is none).</summary>
    public double Max { get; }
    /// <summary>Mean of the finite values (NaN when there is none).</summary>
    public double Mean { get; }
    /// <summary>Sample standard deviation of the finite values (NaN for fewer than two).</summary>
    public double Std { get; }
    /// <summary>Number of NaN and ±Inf elements (excluded from the statistics).</summary>
    public int NonFiniteCount { get; }
    /// <summary>The first <see cref="ShownValues"/> values in row-major order.</summary>
    public IReadOnlyList<double> FirstValues { get; }

    private string ShapeText => "[" + string.Join(", ", Shape) + "]";
    private string DTypeText => DType == DType.Int64 ? "int64" : "float32";

    // PyTorch spelling for non-finite values, so summaries read like tensor printouts.
    private static string G(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("G5", CultureInfo.InvariantCulture);

    private string ValuesText() =>
        "[" + string.Join(", ", FirstValues.Select(G)) + (Numel > FirstValues.Count ? ", …]" : "]");

    private IEnumerable<(string Key, string Value)> Fields()
    {
        if (Name is not null) yield return ("name", Name);
        yield return ("shape", ShapeText);
        yield return ("dtype", DTypeText);
        yield return ("requires_grad", RequiresGrad ? "True" : "False");
        if (GradFn is not null) yield return ("grad_fn", GradFn);
        yield return ("min", G(Min));
        yield return ("max", G(Max));
        yield return ("mean", G(Mean));
        yield return ("std", G(Std));
        if (NonFiniteCount > 0) yield return ("non-finite", NonFiniteCount.ToString(CultureInfo.InvariantCulture));
        yield return ("values", ValuesText());
    }

    /// <summary>One line per field: "shape: [2, 3]", "dtype: float32", ….</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("Tensor\n");
        foreach (var (k, v) in Fields()) sb.Append("  ").Append(k).Append(": ").Append(v).Append('\n');
        return sb.ToString();
    }

    /// <summary><c>text/plain</c> (see <see cref="ToString"/>) and <c>text/html</c> (a two-column table).</summary>
    public IReadOnlyDictionary<string, string> ToMimeBundle()
    {
        var html = new StringBuilder("<table class=\"rk-tensor\"><caption>Tensor</caption><tbody>");
        foreach (var (k, v) in Fields())
            html.Append("<tr><th style=\"text-align:left\">").Append(Escape(k)).Append("</th><td style=\"text-align:left\"><code>")
                .Append(Escape(v)).Append("</code></td></tr>");
        html.Append("</tbody></table>");
        return new Dictionary<string, string> { ["text/plain"] = ToString(), ["text/html"] = html.ToString() };
    }

    private static string Escape(string s) => Tables.ResultsTable.HtmlEscape(s);
}
