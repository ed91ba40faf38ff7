using ResearchKit.Notebooks.Export;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;

namespace ResearchKit.Notebooks.Report;

/// <summary>
/// Finds the figures (plotly outputs) and tables (outputs whose <c>metadata.researchkit.exports</c> hold LaTeX/CSV)
/// of an executed notebook and writes them to files named after them: figures as plotly JSON plus SVG/PNG/PDF through
/// headless Chromium (<see cref="FigureExporter"/>), tables as
/// <c>.tex</c> and <c>.csv</c>.
/// </summary>
public static partial class NotebookArtifacts
{
    /// <summary>
    /// The named figures and tables, in notebook order: named by <c>metadata.researchkit.name</c>, else (charts) by
    /// the name in their plotly JSON's <c>layout.meta</c>, else after their cell.
    /// </summary>
    /// <param name="notebook">An executed notebook.</param>
    public static IReadOnlyList<NotebookArtifact> Find(Notebook notebook)
    {
        var list = new List<NotebookArtifact>();
        foreach (var cell in notebook.Cells)
        {
            int n = 0;
            foreach (var output in cell.Outputs.OfType<DisplayDataOutput>())
            {
                var rk = output.Metadata["researchkit"] as JsonObject;
                string? kind = output.Data.Contains(RichFormatter.PlotlyMime) ? "figure" : rk?["exports"] is JsonObject { Count: > 0 } ? "table" : null;
                if (kind is null) continue;
                n++;
                string name = rk?["name"] is JsonValue v && v.ToString() is { Length: > 0 } s ? s
                    : kind == "figure" && ChartName(output) is { } chartName ? chartName
                    : $"{cell.Id}-{n}";
                list.Add(new NotebookArtifact(SafeFileName(name), kind, cell.Id, output));
            }
        }
        return list;
    }

    /// <summary>Writes every figure to <paramref name="figuresDir"/> and every table to <paramref name="tablesDir"/>.</summary>
    /// <param name="notebook">An executed notebook.</param>
    /// <param name="figuresDir">Folder for figures; <c>null</c> to skip figures.</param>
    /// <param name="tablesDir">Folder for tables; <c>null</c> to skip tables.</param>
    /// <param name="log">Receives one line per file and any warning.</param>
    /// <returns>The files written.</returns>
    public static async Task<IReadOnlyList<string>> ExportAsync(Notebook notebook, string? figuresDir, string? tablesDir, TextWriter log)
    {
        var written = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // One browser for every figure of the notebook, started on the first figure.
        await using var exporter = new FigureExporter();
        foreach (var artifact in Find(notebook))
        {
            if (!seen.Add(artifact.Kind + "/" + artifact.Name))
                log.WriteLine($"export: warning: {artifact.Kind} name '{artifact.Name}' is used more than once (cell '{artifact.CellId}'); the last one wins.");
            if (artifact.Kind == "figure" && figuresDir is not null)
            {
                Directory.CreateDirectory(figuresDir);
                var json = artifact.Output.Data.GetJson(RichFormatter.PlotlyMime)!;
                string jsonPath = Path.Combine(figuresDir, artifact.Name + ".json");
                await File.WriteAllTextAsync(jsonPath, JupyterJsonWriter.Write(json) + "\n", new UTF8Encoding(false));
                written.Add(jsonPath);
                var (width, height) = Size(json);
                foreach (var ext in new[] { ".svg", ".png", ".pdf" })
                {
                    string path = Path.Combine(figuresDir, artifact.Name + ext);
                    await exporter.ExportAsync(json.ToJsonString(), path, width, height, ext == ".png" ? 2.0 : 1.0);
                    written.Add(path);
                }
            }
            else if (artifact.Kind == "table" && tablesDir is not null)
            {
                Directory.CreateDirectory(tablesDir);
                var exports = (JsonObject)artifact.Output.Metadata["researchkit"]!["exports"]!;
                foreach (var (format, content) in exports)
                {
                    if (content is not JsonValue text) continue;
                    string path = Path.Combine(tablesDir, artifact.Name + "." + SafeFileName(format));
                    await File.WriteAllTextAsync(path, text.ToString(), new UTF8Encoding(false));
                    written.Add(path);
                }
            }
        }
        foreach (var path in written) log.WriteLine("export: " + path);
        return written;
    }

    /// <summary>
    /// The name a Plotly.NET chart carries in <c>layout.meta.researchkit.name</c> (<c>WithFigureName</c>), for outputs
    /// written by a kernel formatter that sets no <c>metadata.researchkit</c>.
    /// </summary>
    private static string? ChartName(DisplayDataOutput output) =>
        output.Data.GetJson(RichFormatter.PlotlyMime)?["layout"]?["meta"]?[ResearchKit.Figures.ChartExtensions.MetaKey]?["name"] is JsonValue v
        && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static (int Width, int Height) Size(JsonNode figure)
    {
        int w = figure["layout"]?["width"] is JsonValue wv && wv.TryGetValue<int>(out int wi) ? wi : 800;
        int h = figure["layout"]?["height"] is JsonValue hv && hv.TryGetValue<int>(out int hi) ? hi : 500;
        return (w, h);
    }

    private static string SafeFileName(string name) => UnsafeChars().Replace(name, "_");

    [GeneratedRegex(@"[^A-Za-z0-9._-]")] private static partial Regex UnsafeChars();
}
