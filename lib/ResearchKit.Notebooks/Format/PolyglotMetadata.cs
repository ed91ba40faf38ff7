using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// The metadata VS Code's Polyglot Notebooks extension writes for a C# notebook, so notebooks created here open
/// with the right kernel.
/// </summary>
public static class PolyglotMetadata
{
    /// <summary>The Polyglot C# kernel name (<c>csharp</c>).</summary>
    public const string CSharpKernel = "csharp";

    /// <summary>Notebook metadata: <c>kernelspec</c> (.net-csharp), <c>language_info</c> and <c>polyglot_notebook.kernelInfo</c>.</summary>
    public static JsonObject Notebook() => new()
    {
        ["kernelspec"] = new JsonObject
        {
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
            ["name"] = ".net-csharp",
        },
        ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = CSharpKernel,
                ["items"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["aliases"] = new JsonArray { "c#", "C#" },
                        ["languageName"] = "C#",
                        ["name"] = CSharpKernel,
                    },
                },
            },
        },
    };

    /// <summary>Code cell metadata naming the C# kernel (what VS Code writes).</summary>
    public static JsonObject CodeCell() => new()
    {
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = CSharpKernel },
        ["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" },
    };
}
