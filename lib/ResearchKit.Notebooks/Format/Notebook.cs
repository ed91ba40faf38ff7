using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// An nbformat 4 notebook (written as 4.5, the version with cell ids). Reads what Jupyter, VS Code and Polyglot
/// Notebooks write and writes it back the way Jupyter does: keys sorted, one-space indentation, source as a list
/// of lines, a trailing newline; metadata and unknown keys survive the round trip.
/// </summary>
public sealed class Notebook
{
    /// <summary>Notebook metadata (kernelspec, language_info, polyglot_notebook, anything else), kept verbatim.</summary>
    public JsonObject Metadata { get; set; } = new();

    /// <summary>The cells in order.</summary>
    public List<NotebookCell> Cells { get; } = [];

    /// <summary>Major format version (always 4).</summary>
    public int NbFormat => 4;

    /// <summary>Minor format version; at least 5 once written (ids are required from 4.5 on).</summary>
    public int NbFormatMinor { get; set; } = 5;

    /// <summary>Top-level keys this model does not interpret, written back verbatim.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>Parses notebook JSON.</summary>
    /// <param name="json">The file content.</param>
    /// <exception cref="FormatException">Not JSON, not nbformat 4, or a malformed cell.</exception>
    public static Notebook Parse(string json)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new FormatException($"Notebook.Parse: the file is not valid JSON ({e.Message}).", e); }
        if (root is not JsonObject obj) throw new FormatException("Notebook.Parse: the top level of a notebook must be a JSON object.");
        int major = obj["nbformat"] is JsonValue mv && mv.GetValueKind() == JsonValueKind.Number ? mv.GetValue<int>() : 0;
        if (major != 4) throw new FormatException($"Notebook.Parse: only nbformat 4 is supported, this file declares nbformat {major}; open and save it in Jupyter or VS Code to upgrade it.");
        var nb = new Notebook
        {
            Metadata = obj["metadata"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject(),
            // Ids are mandatory from 4.5 on and we always write them, so never write an older minor.
            NbFormatMinor = Math.Max(5, obj["nbformat_minor"] is JsonValue nv && nv.GetValueKind() == JsonValueKind.Number ? nv.GetValue<int>() : 5),
        };
        if (obj["cells"] is JsonArray cells)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < cells.Count; i++)
            {
                var cell = NotebookCell.FromJson(cells[i], i);
                if (!seen.Add(cell.Id)) throw new FormatException($"Notebook.Parse: cells[{i}] repeats the id '{cell.Id}'; cell ids must be unique.");
                nb.Cells.Add(cell);
            }
        }
        foreach (var (key, value) in obj)
        {
            if (key is "metadata" or "cells" or "nbformat" or "nbformat_minor") continue;
            nb.Extra[key] = value?.DeepClone();
        }
        return nb;
    }

    /// <summary>Reads a notebook file.</summary>
    /// <param name="path">The .ipynb path.</param>
    public static Notebook Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Notebook.Load: no notebook at '{Path.GetFullPath(path)}'.", path);
        try { return Parse(File.ReadAllText(path, Encoding.UTF8)); }
        catch (FormatException e) { throw new FormatException($"{path}: {e.Message}", e); }
    }

    /// <summary>The notebook as a JSON object.</summary>
    public JsonObject ToJsonObject()
    {
        var cells = new JsonArray();
        foreach (var c in Cells) cells.Add(c.ToJson());
        var obj = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = Metadata.DeepClone(),
            ["nbformat"] = NbFormat,
            ["nbformat_minor"] = NbFormatMinor,
        };
        foreach (var (key, value) in Extra) obj[key] = value?.DeepClone();
        return obj;
    }

    /// <summary>The notebook text exactly as Jupyter would write it (sorted keys, indent 1, trailing newline).</summary>
    public string ToJson() => JupyterJsonWriter.Write(ToJsonObject()) + "\n";

    /// <summary>Writes the notebook to <paramref name="path"/> (UTF-8 without BOM), creating the folder if needed.</summary>
    /// <param name="path">The .ipynb path.</param>
    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson(), new UTF8Encoding(false));
    }

    /// <summary>The cell with id <paramref name="id"/>, or <c>null</c>.</summary>
    /// <param name="id">A cell id.</param>
    public NotebookCell? FindCell(string id) => Cells.FirstOrDefault(c => c.Id == id);
}
