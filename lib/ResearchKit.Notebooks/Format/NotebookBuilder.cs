namespace ResearchKit.Notebooks.Format;

/// <summary>
/// Builds Polyglot C# notebooks from code (tests, generated notebooks):
/// <c>new NotebookBuilder().Markdown("# Title").Code("var x = 1;", "parameters").Build()</c>.
/// </summary>
public sealed class NotebookBuilder
{
    private readonly Notebook _notebook = new() { Metadata = PolyglotMetadata.Notebook() };
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    /// <summary>Appends a markdown cell.</summary>
    /// <param name="text">Markdown text.</param>
    /// <param name="id">Cell id; a fresh one when <c>null</c>.</param>
    public NotebookBuilder Markdown(string text, string? id = null) => Add(new NotebookCell(CellType.Markdown, text, Unique(id)));

    /// <summary>Appends a C# code cell (Polyglot kernel metadata set).</summary>
    /// <param name="code">C# script code.</param>
    /// <param name="tags">Cell tags, e.g. <c>parameters</c>.</param>
    public NotebookBuilder Code(string code, params string[] tags) => CodeWithId(code, null, tags);

    /// <summary>Appends a C# code cell with a given id.</summary>
    /// <param name="code">C# script code.</param>
    /// <param name="id">Cell id; a fresh one when <c>null</c>.</param>
    /// <param name="tags">Cell tags.</param>
    public NotebookBuilder CodeWithId(string code, string? id, params string[] tags)
    {
        var cell = new NotebookCell(CellType.Code, code, Unique(id)) { Metadata = PolyglotMetadata.CodeCell() };
        foreach (var t in tags) cell.AddTag(t);
        return Add(cell);
    }

    /// <summary>Appends a raw cell.</summary>
    /// <param name="text">Raw text.</param>
    public NotebookBuilder Raw(string text) => Add(new NotebookCell(CellType.Raw, text, Unique(null)));

    /// <summary>Appends a prepared cell.</summary>
    /// <param name="cell">The cell; its id must be unique in the notebook.</param>
    /// <exception cref="ArgumentException">The id is already used.</exception>
    public NotebookBuilder Add(NotebookCell cell)
    {
        if (!_ids.Add(cell.Id)) throw new ArgumentException($"NotebookBuilder.Add: cell id '{cell.Id}' is already used in this notebook.", nameof(cell));
        _notebook.Cells.Add(cell);
        return this;
    }

    /// <summary>The notebook built so far.</summary>
    public Notebook Build() => _notebook;

    private string Unique(string? id)
    {
        if (id is null) return CellId.New(_ids);
        if (_ids.Contains(id)) throw new ArgumentException($"NotebookBuilder: cell id '{id}' is already used in this notebook.", nameof(id));
        return id;
    }
}
