namespace ResearchKit.Notebooks.Format;

/// <summary>The kind of a notebook cell (nbformat 4 <c>cell_type</c>).</summary>
public enum CellType
{
    /// <summary>Executable code (<c>"code"</c>).</summary>
    Code,

    /// <summary>Markdown text (<c>"markdown"</c>).</summary>
    Markdown,

    /// <summary>Raw text passed through untouched by converters (<c>"raw"</c>).</summary>
    Raw,
}
