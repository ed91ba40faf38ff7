using System.Text;
using System.Text.RegularExpressions;

namespace ResearchKit.Notebooks.Report;

/// <summary>
/// KaTeX (npm package <c>katex</c>, installed next to plotly.js by <c>environment/install-browser.sh</c>) inlined in
/// a report: the script, and the stylesheet with its woff2 fonts as data URIs, so math renders with no network.
/// </summary>
/// <param name="Script">Content of katex.min.js.</param>
/// <param name="Css">katex.min.css with every font as a woff2 data URI.</param>
public sealed partial record Katex(string Script, string Css)
{
    /// <summary>Environment variable that points at KaTeX's <c>dist</c> folder, overriding the search.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_KATEX";

    /// <summary>Location of KaTeX's <c>dist</c> folder relative to the repository root.</summary>
    public const string RelativePath = "environment/node_modules/katex/dist";

    /// <summary>How to get KaTeX, for messages.</summary>
    public const string InstallHint = "install it with `bash environment/install-browser.sh` (npm package katex) or set RESEARCHKIT_KATEX to KaTeX's dist folder";

    /// <summary>
    /// Reads KaTeX from <see cref="EnvironmentVariable"/> if set, else from the first <see cref="RelativePath"/>
    /// found walking up from <paramref name="startDirectories"/>, the application and the current directory.
    /// </summary>
    /// <param name="startDirectories">Folders to search above first (e.g. the notebook's).</param>
    /// <returns>The assets, or null when KaTeX is not installed.</returns>
    public static Katex? TryLoad(params string?[] startDirectories)
    {
        string? dist = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env
            ? env
            : startDirectories.Append(AppContext.BaseDirectory).Append(Directory.GetCurrentDirectory())
                .Where(d => !string.IsNullOrEmpty(d)).Select(d => Search(Path.GetFullPath(d!))).FirstOrDefault(d => d is not null);
        if (dist is null || !File.Exists(Path.Combine(dist, "katex.min.js")) || !File.Exists(Path.Combine(dist, "katex.min.css"))) return null;
        return new Katex(File.ReadAllText(Path.Combine(dist, "katex.min.js")), InlineFonts(File.ReadAllText(Path.Combine(dist, "katex.min.css")), dist));
    }

    /// <summary>
    /// Each <c>@font-face</c> lists woff2, woff and ttf files; every browser that runs KaTeX reads woff2, so only it
    /// is kept, inlined (about 400 kB for all fonts).
    /// </summary>
    internal static string InlineFonts(string css, string dist) => FontSources().Replace(css, m =>
    {
        string file = Path.Combine(dist, m.Groups[1].Value);
        return File.Exists(file) ? $"src:url(data:font/woff2;base64,{Convert.ToBase64String(File.ReadAllBytes(file))}) format(\"woff2\")" : m.Value;
    });

    /// <summary>The script that draws every <c>.math</c> element Markdig wrote, in place.</summary>
    internal const string RenderScript = """
        document.querySelectorAll('.math').forEach(function (el) {
          var display = el.tagName === 'DIV', tex = el.textContent.trim();
          tex = tex.replace(display ? /^\\\[([\s\S]*)\\\]$/ : /^\\\(([\s\S]*)\\\)$/, '$1');
          katex.render(tex, el, { displayMode: display, throwOnError: false });
        });
        """;

    private static string? Search(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(Path.Combine(candidate, "katex.min.js"))) return candidate;
        }
        return null;
    }

    // src:url(fonts/KaTeX_AMS-Regular.woff2) format("woff2"),url(...woff) format("woff"),url(...ttf) format("truetype")
    [GeneratedRegex(@"src:url\((fonts/[^)]+\.woff2)\) format\(""woff2""\)(,url\([^)]+\) format\(""[a-z]+""\))*")]
    private static partial Regex FontSources();
}
