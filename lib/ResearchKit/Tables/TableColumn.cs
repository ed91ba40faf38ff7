namespace ResearchKit.Tables;

/// <summary>A column of a <see cref="ResultsTable"/>: header, kind, display precision and highlighting.</summary>
public sealed class TableColumn
{
    internal TableColumn(string header, ColumnKind kind, int precision, ColumnRole role = ColumnRole.Value, string? comparedWith = null)
    {
        Header = header;
        Kind = kind;
        Precision = precision;
        Role = role;
        ComparedWith = comparedWith;
    }

    /// <summary>Header text, also the column's key (unique within a table).</summary>
    public string Header { get; }

    /// <summary>How cells are stored and rendered.</summary>
    public ColumnKind Kind { get; internal set; }

    /// <summary>Decimals shown for <see cref="ColumnKind.Number"/>, <see cref="ColumnKind.MeanStd"/> and
    /// <see cref="ColumnKind.Percent"/> (decimals of the percentage); exports to CSV keep full precision.</summary>
    public int Precision { get; internal set; }

    /// <summary>Value, thesis reference, or the computed difference.</summary>
    public ColumnRole Role { get; }

    /// <summary>For <see cref="ColumnRole.ThesisReference"/> and <see cref="ColumnRole.Difference"/>: the header of our column.</summary>
    public string? ComparedWith { get; }

    /// <summary>Null when the best value is not highlighted; otherwise whether larger values are better.</summary>
    public bool? HigherIsBetter { get; internal set; }

    /// <summary>True for numeric kinds (right-aligned, usable for highlighting and differences).</summary>
    public bool IsNumeric => Kind != ColumnKind.Text;

    /// <inheritdoc/>
    public override string ToString() => $"{Header} ({Kind}{(IsNumeric && Kind != ColumnKind.Integer ? $", {Precision} decimals" : "")})";
}
