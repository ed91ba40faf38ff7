using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using ResearchKit.Display;
using ResearchKit.Figures;
using ResearchKit.Tables;
using ResearchKit.Tensors;
using ResearchKit.Tests.Tables;
using Xunit;

namespace ResearchKit.Tests.Display;

/// <summary>
/// Drives the formatter convention exactly the way the Polyglot kernel does, by reflection only: the attribute is
/// found by its type name, its public properties are read by name, the source is created with
/// <see cref="Activator.CreateInstance(Type)"/>, <c>CreateTypeFormatters</c> is looked up and invoked by name, and each
/// formatter's <c>MimeType</c>/<c>Type</c> are read and <c>Format(object, TextWriter)</c> is found by name and
/// called through a compiled expression.
/// </summary>
public class FormatterConventionTests
{
    private sealed record KernelFormatter(string MimeType, Type Type, Func<object, TextWriter, bool> Format);

    /// <summary>What the kernel registers for <paramref name="type"/>, plus the preferred MIME types.</summary>
    private static (List<KernelFormatter> Formatters, string[]? Preferred) Discover(Type type)
    {
        var formatters = new List<KernelFormatter>();
        string[]? preferred = null;
        foreach (var attr in type.GetCustomAttributes(true).Where(a => a.GetType().Name == "TypeFormatterSourceAttribute"))
        {
            var sourceType = Assert.IsAssignableFrom<Type>(GetProperty(attr, "FormatterSourceType"));
            var source = Activator.CreateInstance(sourceType)!;
            var create = source.GetType().GetMethod("CreateTypeFormatters");
            Assert.NotNull(create);
            var created = Assert.IsAssignableFrom<IEnumerable>(create.Invoke(source, null));
            foreach (var f in created)
            {
                var mime = Assert.IsType<string>(GetProperty(f, "MimeType"));
                // GetMethod by name alone, as the kernel does: throws AmbiguousMatchException if Format were overloaded.
                var format = f.GetType().GetMethod("Format")!;
                Assert.Equal(typeof(bool), format.ReturnType);
                Assert.Equal([typeof(object), typeof(TextWriter)], format.GetParameters().Select(p => p.ParameterType));
                var formatted = GetProperty(f, "Type") as Type ?? type;
                // The kernel compiles a call with (object, TextWriter) parameters; this fails if the signature drifts.
                var value = Expression.Parameter(typeof(object));
                var writer = Expression.Parameter(typeof(TextWriter));
                var call = Expression.Lambda<Func<object, TextWriter, bool>>(
                    Expression.Call(Expression.Constant(f), format, value, writer), value, writer).Compile();
                formatters.Add(new KernelFormatter(mime, formatted, call));
            }
            preferred = GetProperty(attr, "PreferredMimeTypes") as string[];
        }
        return (formatters, preferred);
    }

    private static object? GetProperty(object o, string name) =>
        o.GetType().GetProperty(name) is { } p && p.GetGetMethod() is { } get ? get.Invoke(o, null) : null;

    private static string Render(KernelFormatter f, object value)
    {
        using var w = new StringWriter();
        Assert.True(f.Format(value, w));
        return w.ToString();
    }

    [Fact]
    public void GenericChart_is_registered_with_the_kernel_formatter_and_prefers_plotly_json()
    {
        // Plotly.NET's chart type is not ours, so no attribute: ResearchKit registers it through Formatter.Register
        // when it loads, as the .NET Interactive kernel expects of #r'd libraries.
        var chart = ResearchKit.Figures.Charts.OverSteps([new ResearchKit.Figures.Curve("s", [1.0, 2.0], [3.0, 4.0])], "loss")
            .WithFigureName("fig-test");
        ChartDisplay.RegisterFormatters();
        var preferred = Microsoft.DotNet.Interactive.Formatting.Formatter.GetPreferredMimeTypesFor(typeof(Plotly.NET.GenericChart));
        Assert.Equal(ChartDisplay.PlotlyMimeType, preferred.First());
        string json = Microsoft.DotNet.Interactive.Formatting.Formatter.ToDisplayString(chart, ChartDisplay.PlotlyMimeType);
        Assert.Equal(ChartDisplay.ToPlotlyMimeJson(chart), json);
        Assert.Contains("\"data\"", json);
        string html = Microsoft.DotNet.Interactive.Formatting.Formatter.ToDisplayString(chart, "text/html");
        Assert.Contains("rk-plot", html);
        Assert.DoesNotContain("cdn.plot.ly", html);
    }

    [Fact]
    public void MarkdownText_is_discovered_and_prefers_markdown()
    {
        var md = ResearchKit.Display.Display.Markdown("Sub-sampling reached the loss **1.5× sooner**.");
        var (formatters, preferred) = Discover(typeof(MarkdownText));
        Assert.Equal(["text/markdown", "text/plain"], preferred!);
        Assert.Equal(md.Text, Render(formatters.Single(f => f.MimeType == "text/markdown"), md));
        Assert.Equal(md.Text, Render(formatters.Single(f => f.MimeType == "text/plain"), md));
        Assert.Equal(md.Text, ResearchKit.Display.Display.MimeBundleOf(md)["text/markdown"]);
    }

    [Fact]
    public void ResultsTable_is_discovered_and_formats_html_and_plain_text()
    {
        var table = SampleTables.Thesis();
        var (formatters, preferred) = Discover(typeof(ResultsTable));
        Assert.Equal(["application/vnd.plotly.v1+json", "text/html", "text/markdown", "text/plain"], formatters.Select(f => f.MimeType).Order(StringComparer.Ordinal));
        Assert.NotNull(preferred);
        Assert.Equal(["text/html", "text/plain"], preferred);
        // A table has no plotly form: that formatter declines, so the kernel falls back to the preferred ones.
        var plotly = formatters.Single(f => f.MimeType == "application/vnd.plotly.v1+json");
        Assert.False(plotly.Format(table, new StringWriter()));
        foreach (var f in formatters) Assert.True(f.Type.IsAssignableFrom(typeof(ResultsTable)));   // the kernel's relevance test

        string html = Render(formatters.Single(f => f.MimeType == "text/html"), table);
        Assert.Equal(table.ToHtml(), html);
        Assert.Contains("<table class=\"rk-table\">", html);
        Assert.Contains("<strong>92.00 ± 1.00</strong>", html);
        Assert.Contains("INT8 &amp; pruned_{v2}", html);
        Assert.Equal(table.ToText(), Render(formatters.Single(f => f.MimeType == "text/plain"), table));
    }

    [Fact]
    public void TensorSummary_is_discovered_too()
    {
        var summary = ResearchKit.Display.Display.Summarize(Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2));
        var (formatters, _) = Discover(typeof(TensorSummary));
        string html = Render(formatters.Single(f => f.MimeType == "text/html"), summary);
        Assert.Contains("<th style=\"text-align:left\">shape</th><td style=\"text-align:left\"><code>[2, 2]</code>", html);
    }

    [Fact]
    public void Formatters_decline_objects_that_are_not_rich_displays()
    {
        var (formatters, _) = Discover(typeof(ResultsTable));
        foreach (var f in formatters)
        {
            using var w = new StringWriter();
            Assert.False(f.Format("just a string", w));
            Assert.Equal("", w.ToString());
        }
    }

    [Fact]
    public void Html_formatter_falls_back_to_escaped_plain_text()
    {
        var html = new RichDisplayFormatter("text/html");
        var json = new RichDisplayFormatter("application/json");
        var plainOnly = new PlainOnly("a < b");
        using var w = new StringWriter();
        Assert.True(html.Format(plainOnly, w));
        Assert.Equal("<pre>a &lt; b</pre>", w.ToString());
        Assert.False(json.Format(plainOnly, new StringWriter()));
    }

    private sealed class PlainOnly(string text) : IRichDisplay
    {
        public IReadOnlyDictionary<string, string> ToMimeBundle() => new Dictionary<string, string> { ["text/plain"] = text };
    }

    [Fact]
    public void Every_rich_display_type_of_the_kit_carries_the_attribute_and_nothing_lands_in_namespace_System()
    {
        var assembly = typeof(ResultsTable).Assembly;
        var rich = assembly.GetTypes().Where(t => !t.IsInterface && !t.IsAbstract && typeof(IRichDisplay).IsAssignableFrom(t)).ToList();
        Assert.Contains(typeof(ResultsTable), rich);
        Assert.Contains(typeof(TensorSummary), rich);
        foreach (var t in rich)
            Assert.True(Discover(t).Formatters.Count >= 2, $"{t.FullName} implements IRichDisplay but has no [TypeFormatterSource]");

        var attribute = assembly.GetTypes().Single(t => t.Name == "TypeFormatterSourceAttribute");
        Assert.False(attribute.IsPublic);   // a public one would clash with the kernel's attribute in user code
        Assert.DoesNotContain(assembly.GetTypes(), t => t.Namespace == "System" || (t.Namespace?.StartsWith("System.", StringComparison.Ordinal) ?? false));
        var displayExtensions = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.Name == "Display" && m.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute), false));
        Assert.Empty(displayExtensions);
    }
}
