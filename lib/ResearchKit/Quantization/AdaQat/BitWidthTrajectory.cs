using System.Globalization;
using System.Text;

namespace ResearchKit.Quantization.AdaQat;

/// <summary>The learned widths step by step (one <see cref="BitWidthRecord"/> per width per step), for plots and reports.</summary>
public sealed class BitWidthTrajectory
{
    private readonly List<BitWidthRecord> _records = new();

    /// <summary>Every record, in step order then width order.</summary>
    public IReadOnlyList<BitWidthRecord> Records => _records;

    /// <summary>Appends a record.</summary>
    /// <param name="record">The record.</param>
    public void Add(BitWidthRecord record) => _records.Add(record ?? throw new ArgumentNullException(nameof(record)));

    /// <summary>The records of the width named <paramref name="name"/>, in step order.</summary>
    /// <param name="name">A width's name.</param>
    public IReadOnlyList<BitWidthRecord> For(string name) => _records.Where(r => r.Name == name).ToList();

    /// <summary>The integer width of each named width after the last recorded step.</summary>
    public IReadOnlyDictionary<string, int> FinalBits()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in _records) d[r.Name] = r.Bits;
        return d;
    }

    /// <summary>CSV with header <c>step,epoch,name,value,bits,gradient,frozen</c> (invariant culture; empty gradient when frozen).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("step,epoch,name,value,bits,gradient,frozen\n");
        foreach (var r in _records)
            sb.Append(CultureInfo.InvariantCulture, $"{r.Step},{r.Epoch},{r.Name},{r.Value:R},{r.Bits},{(r.Gradient is double g ? g.ToString("R", CultureInfo.InvariantCulture) : "")},{(r.Frozen ? 1 : 0)}\n");
        return sb.ToString();
    }
}
