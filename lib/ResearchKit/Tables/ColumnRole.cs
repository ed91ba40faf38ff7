namespace ResearchKit.Tables;

/// <summary>What a column means in a thesis comparison.</summary>
public enum ColumnRole
{
    /// <summary>An ordinary column holding our values.</summary>
    Value,
    /// <summary>The value reported by the thesis for the column named by <see cref="TableColumn.ComparedWith"/>.</summary>
    ThesisReference,
    /// <summary>Computed: ours − thesis, signed, with the precision of the compared column. Not stored.</summary>
    Difference,
}
