using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Report;

/// <summary>A figure or table found in an executed notebook's outputs.</summary>
/// <param name="Name">Stable export name: the object's <c>Name</c> (e.g. "fig4-4"), else "&lt;cell id&gt;-&lt;n&gt;".</param>
/// <param name="Kind"><c>figure</c> or <c>table</c>.</param>
/// <param name="CellId">Id of the cell that displayed it.</param>
/// <param name="Output">The output carrying it.</param>
public sealed record NotebookArtifact(string Name, string Kind, string CellId, DisplayDataOutput Output);
