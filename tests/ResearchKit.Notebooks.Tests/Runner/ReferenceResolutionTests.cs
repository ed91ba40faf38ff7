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
