using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// The .NET Interactive kernel a headless run executes cells with, set up as the <c>.net-csharp</c> Jupyter
/// kernel of <c>dotnet-interactive</c> sets up its C# kernel: <c>#r "nuget: …"</c>, the kernel helpers
/// (<c>display</c>), <c>#!who</c>/<c>#!whos</c>, <c>#!set</c>/<c>#!share</c>, <c>#!import</c>, and the browser
/// front end's formatting defaults (HTML, strings as plain text), so outputs match a Jupyter run.
/// </summary>
internal static class NotebookKernel
{
    /// <summary>Creates the kernel; <see cref="SubmitCode"/> commands run on <paramref name="cellThread"/>.</summary>
    /// <param name="cellThread">The notebook's dedicated thread.</param>
    public static CompositeKernel Create(CellThread cellThread)
    {
        // Formatters are process-wide: a previous notebook's Formatter.Register must not leak into this one,
        // as it cannot in Jupyter where each notebook has its own kernel process.
        Formatter.ResetToDefault();
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
        ResearchKit.Display.KitFormatters.Register(); // the reset dropped the kit's explicit registrations

        var csharp = new CSharpKernel()
            .UseNugetDirective((kernel, packages) =>
            {
                kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseWho()
            .UseValueSharing();
        csharp.AddMiddleware(
            (command, context, next) => command is SubmitCode ? cellThread.RunAsync(() => next(command, context)) : next(command, context),
            "researchkit-cell-thread");

        var composite = new CompositeKernel();
        composite.Add(csharp, ["c#", "C#"]);
        composite.DefaultKernelName = csharp.Name;
        composite.UseImportMagicCommand();
        return composite;
    }
}
