using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

public class ReferenceResolutionTests
{
    [Fact]
    public async Task Hash_r_resolves_relative_to_the_notebook_folder()
    {
        using var tmp = NewTempDir();
        EmitLibrary(Path.Combine(tmp.Path, "lib", "Tiny.dll"), "namespace Tiny; public static class Greeter { public static string Hello(string n) => \"hello \" + n; }");
        var nb = new NotebookBuilder().Code("#r \"lib/Tiny.dll\"\nTiny.Greeter.Hello(\"nb\")").Build();

        var result = await RunAsync(nb, tmp.Path);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("hello nb", nb.Cells[0].Outputs.Single().Text());
    }

    [Fact]
    public async Task Hash_r_with_a_wrong_path_is_a_compile_error_with_a_hint()
    {
        using var tmp = NewTempDir();
        var nb = new NotebookBuilder().Code("#r \"lib/Missing.dll\"\nvar a = 1;").Build();
        var result = await RunAsync(nb, tmp.Path);
        Assert.False(result.Succeeded);
        var err = nb.Cells[0].Outputs.OfType<ErrorOutput>().Single();
        Assert.Contains("lib/Missing.dll", err.EValue);
        Assert.Contains("relative to the notebook", err.EValue);
    }

    /// <summary>
    /// The repository's first cell in a notebook copied out of notebooks/: the kit is built, only the relative path
    /// is wrong, and the message says so instead of asking for a build.
    /// </summary>
    [Fact]
    public async Task A_notebook_moved_out_of_notebooks_names_the_resolved_path_and_the_fix()
    {
        using var tmp = NewTempDir();
        string firstCell = Notebook.Load(Path.Combine(RepoRoot(), "notebooks", "00-getting-started.ipynb")).Cells.First(c => c.Type == CellType.Code).Source;
        Assert.StartsWith("#r \"../lib/ResearchKit/bin/", firstCell);
        var nb = new NotebookBuilder().Code(firstCell).Code("1").Build();

        var result = await RunAsync(nb, tmp.Path);

        Assert.False(result.Succeeded);
        string message = nb.Cells[0].Outputs.OfType<ErrorOutput>().Single().EValue;
        string resolved = Path.GetFullPath(Path.Combine(tmp.Path, "../lib/ResearchKit/bin/Debug/net10.0/ResearchKit.dll"));
        Assert.Contains($"#r \"../lib/ResearchKit/bin/Debug/net10.0/ResearchKit.dll\": no file at {resolved}.", message);
        Assert.Contains($"#r paths are relative to the notebook's folder ({tmp.Path})", message);
        Assert.Contains("keep the notebook in the repository's notebooks/ folder, or change the #r path", message);
        Assert.DoesNotContain("build", message.Replace("built dll", ""));
    }

    [Fact]
    public void A_missing_build_output_under_an_existing_project_asks_for_the_build()
    {
        using var tmp = NewTempDir();
        string project = Path.Combine(tmp.Path, "lib", "ResearchKit");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "ResearchKit.csproj"), "<Project />");
        Directory.CreateDirectory(Path.Combine(tmp.Path, "notebooks"));
        string? message = CellOutputCollector.MissingReferences("#r \"../lib/ResearchKit/bin/Debug/net10.0/ResearchKit.dll\"\n#r \"nuget: Foo\"", Path.Combine(tmp.Path, "notebooks"));
        Assert.Equal($"#r \"../lib/ResearchKit/bin/Debug/net10.0/ResearchKit.dll\": no file at {Path.Combine(project, "bin", "Debug", "net10.0", "ResearchKit.dll")}. "
            + $"#r paths are relative to the notebook's folder ({Path.Combine(tmp.Path, "notebooks")}); the project folder {project} exists but this build output does not: build it, e.g. dotnet build {project}.", message);
    }

    [Fact]
    public async Task Hash_r_of_the_built_kit_by_relative_path_binds_to_one_copy_of_the_kit()
    {
        using var tmp = NewTempDir();
        string kitDll = typeof(ResearchKit.Display.IRichDisplay).Assembly.Location;
        string tensorsDll = Path.Combine(Path.GetDirectoryName(kitDll)!, "ResearchKit.Tensors.dll");
        string rel = Path.GetRelativePath(tmp.Path, kitDll).Replace('\\', '/');
        string relTensors = Path.GetRelativePath(tmp.Path, tensorsDll).Replace('\\', '/');
        Assert.StartsWith("../", rel);
        var nb = new NotebookBuilder()
            .Code($"#r \"{rel}\"\n#r \"{relTensors}\"\nusing ResearchKit.Tensors;")
            .Code("var t = Tensor.FromArray(new float[] { 1, 2, 3 }, 3);\n$\"({t.Sum().Item()}, {typeof(ResearchKit.Display.IRichDisplay).Assembly.Location})\"")
            .Build();

        var result = await RunAsync(nb, tmp.Path);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal($"(6, {kitDll})", nb.Cells[1].Outputs.Single().Text());
    }

    [Fact]
    public async Task Hash_r_to_a_kit_dll_that_does_not_exist_fails()
    {
        using var tmp = NewTempDir();
        var nb = new NotebookBuilder().Code("#r \"nowhere/ResearchKit.dll\"").Build();
        Assert.False((await RunAsync(nb, tmp.Path)).Succeeded);
        Assert.Contains("ResearchKit.dll", nb.Cells[0].Outputs.OfType<ErrorOutput>().Single().Text());
    }

    private static void EmitLibrary(string path, string code)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(Path.GetFileNameWithoutExtension(path),
            [CSharpSyntaxTree.ParseText(code)], refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var emitted = compilation.Emit(path);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
    }
}
