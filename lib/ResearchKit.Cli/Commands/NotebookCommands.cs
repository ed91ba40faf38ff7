using System.CommandLine;
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
            catch (Exception e) when (e is FormatException or FileNotFoundException)
            {
                Console.Error.WriteLine("rk nb export: " + e.Message);
                return 2;
            }
            var files = await NotebookArtifacts.ExportAsync(nb, figuresDir?.FullName, tablesDir?.FullName, Console.Error);
            if (files.Count == 0) Console.Error.WriteLine($"rk nb export: {path.Name} has no figure or table outputs (run it first with rk nb run --out).");
            return 0;
        });
        return export;
    }
}
