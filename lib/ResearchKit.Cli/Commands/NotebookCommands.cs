using System.CommandLine;
using ResearchKit.Cli.Errors;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Report;
using ResearchKit.Notebooks.Runner;

namespace ResearchKit.Cli.Commands;

/// <summary>
/// <c>rk nb run</c> (execute a notebook headless, papermill-style parameters, executed .ipynb and HTML report) and
/// <c>rk nb export</c> (write the figures and tables of an executed notebook to files).
/// </summary>
public static class NotebookCommands
{
    /// <summary>The <c>nb</c> command with its <c>run</c> and <c>export</c> subcommands.</summary>
    public static Command Create()
    {
        var nb = new Command("nb", "Run notebooks headless and export their figures and tables.");
        nb.Subcommands.Add(CreateRun());
        nb.Subcommands.Add(CreateExport());
        return nb;
    }

    private static Command CreateRun()
    {
        var notebook = new Argument<FileInfo>("notebook") { Description = "The .ipynb to execute." };
        var preset = new Option<string?>("--preset") { Description = "Run size, injected as the 'preset' parameter: smoke, quick or paper." };
        preset.AcceptOnlyFromAmong([.. NotebookParameters.Presets]);
        var parameters = new Option<string[]>("--parameter", "-p") { Description = "A parameter name=value (repeatable), declared by the notebook's cell tagged 'parameters'; the value is parsed as the declared type.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Where to write the executed notebook, after every cell (default: overwrite nothing, print a summary)." };
        var html = new Option<FileInfo?>("--html") { Description = "Write a self-contained HTML report of the executed notebook." };
        var timeout = new Option<double?>("--cell-timeout") { Description = "Cancel and fail a cell that runs longer than this many seconds." };
        var run = new Command("run", "Execute a notebook's C# cells in order with the .NET Interactive C# kernel (stops at the first failing cell: exit code 1; Ctrl-C: 130, the cells run so far are written).")
        {
            notebook, preset, parameters, output, html, timeout,
        };
        run.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(notebook)!;
            var log = Console.Error;
            if (!path.Exists)
            {
                log.WriteLine($"rk nb run: no notebook at '{path.FullName}'.");
                return 2;
            }
            List<KeyValuePair<string, string>> pairs;
            try { pairs = (parse.GetValue(parameters) ?? []).Select(NotebookParameters.Parse).ToList(); }
            catch (ArgumentException e)
            {
                log.WriteLine("rk nb run: " + e.Message);
                return 2;
            }
            var options = new NotebookRunOptions
            {
                Preset = parse.GetValue(preset),
                Parameters = pairs,
                CellTimeout = parse.GetValue(timeout) is double s ? TimeSpan.FromSeconds(s) : null,
                OutputPath = parse.GetValue(output)?.FullName,
                Log = log,
            };
            Notebook executed;
            NotebookRunResult result;
            try { (executed, result) = await new NotebookRunner(options).RunFileAsync(path.FullName, cancellationToken); }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                log.WriteLine("rk nb run: " + e.Message);
                return 2;
            }
            if (parse.GetValue(output) is { } outFile) log.WriteLine($"nb: wrote {outFile.FullName}");
            if (parse.GetValue(html) is { } htmlFile)
            {
                bool plotly = HtmlReport.Write(executed, htmlFile.FullName, path.DirectoryName);
                log.WriteLine($"nb: wrote {htmlFile.FullName}" + (plotly ? "" : $" (plotly.js not found: figures are shown as text; {ResearchKit.Figures.PlotlyJs.InstallHint})"));
            }
            log.WriteLine(result.Succeeded ? $"nb: {path.Name} OK ({result.ExecutedCells} cells, {result.Elapsed.TotalSeconds:0.0} s)"
                : result.Interrupted ? $"nb: {path.Name} INTERRUPTED at {result.Error}"
                : $"nb: {path.Name} FAILED at {result.Error}");
            return result.ExitCode;
        });
        return run;
    }

    /// <summary>
    /// Refuses an export that would write nothing, since a paper build that goes on would use stale or missing
    /// figures: a notebook never executed (exported before <c>rk nb run --out</c>), or an executed one that shows no
    /// figure or table of the kinds asked for (both exit code 6). Returns how many artifacts will be exported.
    /// </summary>
    private static int NothingToExportCheck(Notebook nb, FileInfo path, bool figures, bool tables)
    {
        string rel = Path.GetRelativePath(Environment.CurrentDirectory, path.FullName);
        var code = nb.Cells.Where(c => c.Type == CellType.Code).ToList();
        if (code.Count > 0 && code.All(c => c.ExecutionCount is null && c.Outputs.Count == 0))
            throw new CliException(ExitCodes.NothingToExport,
                $"{path.Name} was never executed: none of its {code.Count} code cells has an output, so it holds no figure or table. " +
                $"Run it first with `dotnet rk nb run {rel} --out {Path.ChangeExtension(rel, ".executed.ipynb")}`, " +
                "then export the executed copy.");
        var artifacts = NotebookArtifacts.Find(nb);
        int wanted = artifacts.Count(a => (a.Kind == "figure" && figures) || (a.Kind == "table" && tables));
        if (wanted == 0)
        {
            string asked = figures && tables ? "figure or table" : figures ? "figure" : "table";
            string has = artifacts.Count == 0 ? "none at all" : $"only {string.Join(", ", artifacts.Select(a => $"{a.Kind} '{a.Name}'"))}";
            throw new CliException(ExitCodes.NothingToExport,
                $"{path.Name} was executed but its outputs hold no {asked} ({has}), so nothing was written. " +
                "Figures are Plotly.NET charts shown by a cell (name them with .WithFigureName(\"fig-id\")), tables are ResultsTable " +
                "outputs; add them to the notebook and run it again with `dotnet rk nb run`" +
                (artifacts.Count > 0 ? ", or ask for the kind it has (--figures / --tables)." : "."));
        }
        return wanted;
    }

    private static Command CreateExport()
    {
        var notebook = new Argument<FileInfo>("notebook") { Description = "An executed .ipynb (from rk nb run --out)." };
        var figures = new Option<DirectoryInfo?>("--figures") { Description = "Folder for figures (plotly JSON; SVG, PNG and PDF with the browser exporter)." };
        var tables = new Option<DirectoryInfo?>("--tables") { Description = "Folder for tables (LaTeX and CSV)." };
        var export = new Command("export", "Write the figures and tables of an executed notebook under their names.") { notebook, figures, tables };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(notebook)!;
            var figuresDir = parse.GetValue(figures);
            var tablesDir = parse.GetValue(tables);
            if (figuresDir is null && tablesDir is null)
            {
                Console.Error.WriteLine("rk nb export: give --figures and/or --tables.");
                return 2;
            }
            Notebook nb;
            try { nb = Notebook.Load(path.FullName); }
            catch (FormatException e) { throw new CliException(ExitCodes.Usage, e.Message); }
            var artifacts = NothingToExportCheck(nb, path, figuresDir is not null, tablesDir is not null);
            var files = await NotebookArtifacts.ExportAsync(nb, figuresDir?.FullName, tablesDir?.FullName, Console.Error);
            Console.Error.WriteLine($"nb: {path.Name}: {artifacts} figures/tables exported, {files.Count} files written");
            return ExitCodes.Ok;
        });
        return export;
    }
}
