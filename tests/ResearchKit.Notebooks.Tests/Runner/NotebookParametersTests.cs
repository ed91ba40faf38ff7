using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

public class NotebookParametersTests
{
    [Theory]
    [InlineData("3", "3")]
    [InlineData("+3", "3")]
    [InlineData("-12", "-12")]
    [InlineData("3000000000", "3000000000L")]
    [InlineData("0.5", "0.5")]
    [InlineData("1e-3", "0.001")]
    [InlineData("2.0", "2.0")]
    [InlineData("1e5", "100000.0")]
    [InlineData("true", "true")]
    [InlineData("False", "false")]
    [InlineData("smoke", "\"smoke\"")]
    [InlineData("\"42\"", "\"42\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("1.2.3", "\"1.2.3\"")]
    [InlineData("NaN", "\"NaN\"")]
    [InlineData("", "\"\"")]
    public void Literal_types_are_inferred(string raw, string literal) => Assert.Equal(literal, NotebookParameters.ToLiteral(raw));

    [Theory]
    [InlineData("x")]
    [InlineData("=3")]
    [InlineData("2x=3")]
    [InlineData("class=3")]
    public void Invalid_assignments_are_rejected(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Parse(text));
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Parse_splits_at_the_first_equals_sign()
    {
        Assert.Equal(new KeyValuePair<string, string>("expr", "a=b"), NotebookParameters.Parse("expr=a=b"));
    }

    private static Notebook Sample() => new NotebookBuilder()
        .CodeWithId("#r \"x.dll\"", "refs")
        .CodeWithId("var preset = \"paper\";\nvar epochs = 10;\nvar lr = 0.1;\nstring name = \"a\";", "params", "parameters")
        .CodeWithId("var total = epochs * 2;", "body")
        .Build();

    [Fact]
    public void Injected_cell_follows_the_parameters_cell_and_keeps_other_ids()
    {
        var nb = Sample();
        var cell = NotebookParameters.Inject(nb, [new("epochs", "3"), new("lr", "0.01"), new("name", "run a")], "smoke");

        Assert.NotNull(cell);
        Assert.Equal(["refs", "params", cell.Id, "body"], nb.Cells.Select(c => c.Id));
        Assert.True(CellId.IsValid(cell.Id));
        Assert.Equal("injected-parameters", cell.Id); // fixed, so executed notebooks don't change id from run to run
        Assert.Equal(["injected-parameters"], cell.Tags);
        Assert.Equal("csharp", cell.KernelName);
        Assert.EndsWith("var preset = \"smoke\";\nvar epochs = 3;\nvar lr = 0.01;\nvar name = \"run a\";", cell.Source);
        Assert.True(nb.Cells[1].HasTag("parameters"));
    }

    [Fact]
    public void A_user_cell_named_injected_parameters_keeps_its_id()
    {
        var nb = new NotebookBuilder()
            .CodeWithId("var preset = \"paper\";\nvar x = 0;", "params", "parameters")
            .CodeWithId("var y = 1;", "injected-parameters")
            .Build();
        var cell = NotebookParameters.Inject(nb, [new("x", "2")])!;
        Assert.NotEqual("injected-parameters", cell.Id);
        Assert.Equal(nb.Cells.Count, nb.Cells.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public void Reinjecting_replaces_the_previous_injected_cell()
    {
        var nb = Sample();
        var first = NotebookParameters.Inject(nb, [new("epochs", "3")])!;
        var second = NotebookParameters.Inject(nb, [new("epochs", "4")])!;
        Assert.Single(nb.Cells, c => c.HasTag("injected-parameters"));
        Assert.Same(second, nb.Cells[2]);
        Assert.Equal(first.Id, second.Id);
        Assert.EndsWith("var epochs = 4;", second.Source);
        Assert.Equal(4, nb.Cells.Count);
        _ = first;

        Assert.Null(NotebookParameters.Inject(nb, []));
        Assert.Equal(["refs", "params", "body"], nb.Cells.Select(c => c.Id));
    }

    [Fact]
    public void Without_a_parameters_cell_parameters_are_refused_and_the_message_says_how_to_declare_them()
    {
        var nb = new NotebookBuilder().Markdown("# t", "md").CodeWithId("var x = 1;", "c").Build();
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(nb, [new("x", "2")]));
        Assert.Contains("-p x: the notebook takes no parameters", e.Message);
        Assert.Contains("tagged 'parameters'", e.Message);
        Assert.Equal(["md", "c"], nb.Cells.Select(c => c.Id));
    }

    private static Notebook Typed() => new NotebookBuilder()
        .CodeWithId("""
            var preset = "smoke";
            int seeds = 1;
            bool reuseStale = false;
            var lr = -0.5;
            var big = 3L;
            float scale = 1f;
            double? limit = null;
            var label = $"run {seeds}";
            var when = DateTime.Now;
            string[] names = ["a"];
            Console.WriteLine(preset);
            """, "params", "parameters")
        .Build();

    [Fact]
    public void Declared_types_come_from_the_declaration_or_the_literal()
    {
        Assert.Equal(
            [new("preset", "string"), new("seeds", "int"), new("reuseStale", "bool"), new("lr", "double"), new("big", "long"),
             new("scale", "float"), new("limit", "double?"), new("label", "string"), new("when", null), new("names", "string[]")],
            NotebookParameters.Declared(Typed()));
    }

    [Theory]
    [InlineData("preset", "3", "\"3\"")]          // a string parameter takes digits as text: the compile error
    [InlineData("preset", "\"quick\"", "\"quick\"")]
    [InlineData("seeds", "3", "3")]
    [InlineData("reuseStale", "True", "true")]
    [InlineData("lr", "1", "1.0")]                // an int-looking value for a double stays a double
    [InlineData("lr", "1e-3", "0.001")]
    [InlineData("big", "5", "5L")]
    [InlineData("scale", "0.5", "0.5f")]
    [InlineData("limit", "2", "2.0")]
    [InlineData("label", "x y", "\"x y\"")]
    [InlineData("when", "7", "7")]                // a var of another expression: the value's own literal
    public void Values_are_parsed_as_the_declared_type(string name, string raw, string literal)
    {
        var cell = NotebookParameters.Inject(Typed(), [new(name, raw)])!;
        Assert.EndsWith($"\nvar {name} = {literal};", cell.Source);
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_declared_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Typed(), [new("nosuch", "1")]));
        Assert.Equal("-p nosuch: the notebook has no parameter 'nosuch'; its parameters cell declares preset, seeds, reuseStale, lr, big, scale, limit, label, when, names.", e.Message);
        var nb = new NotebookBuilder().CodeWithId("var epochs = 1;", "params", "parameters").Build();
        Assert.StartsWith("--preset: the notebook has no parameter 'preset'; its parameters cell declares epochs.",
            Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(nb, [], "smoke")).Message);
    }

    [Theory]
    [InlineData("seeds", "2.5", "-p seeds=2.5: seeds is declared as int in the parameters cell; expected a whole number (int, -2147483648 to 2147483647).")]
    [InlineData("seeds", "3000000000", "-p seeds=3000000000: seeds is declared as int in the parameters cell; expected a whole number (int, -2147483648 to 2147483647).")]
    [InlineData("reuseStale", "yes", "-p reuseStale=yes: reuseStale is declared as bool in the parameters cell; expected true or false.")]
    [InlineData("lr", "fast", "-p lr=fast: lr is declared as double in the parameters cell; expected a number (double), e.g. 0.5 or 1e-3.")]
    [InlineData("names", "b", "-p names: the parameters cell declares names as string[], which -p cannot set; it sets string, bool, int, long, double, float, decimal parameters (declare names with one of them, e.g. `int names = 1;`).")]
    public void Ill_typed_values_are_refused_with_the_expected_type(string name, string raw, string message)
    {
        var nb = Typed();
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(nb, [new(name, raw)])).Message);
        Assert.DoesNotContain(nb.Cells, c => c.HasTag("injected-parameters"));
    }

    [Fact]
    public void Bad_preset_and_duplicates_are_rejected()
    {
        Assert.Contains("smoke, quick, paper", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [], "fast")).Message);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("a", "1"), new("a", "2")])).Message);
        Assert.Contains("--preset", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("preset", "quick")], "smoke")).Message);
        Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("not valid", "1")]));
    }

    /// <summary>The two cases through the runner: refused before any cell runs, nothing executed.</summary>
    [Theory]
    [InlineData("nosuch", "1", "-p nosuch: the notebook has no parameter 'nosuch'; its parameters cell declares preset, seeds, reuseStale.")]
    [InlineData("seeds", "many", "-p seeds=many: seeds is declared as int in the parameters cell; expected a whole number (int, -2147483648 to 2147483647).")]
    public async Task The_runner_refuses_bad_parameters_before_any_cell_runs(string name, string raw, string message)
    {
        var nb = new NotebookBuilder()
            .CodeWithId("Console.WriteLine(\"ran\");", "first")
            .CodeWithId("var preset = \"smoke\";\nint seeds = 1;\nbool reuseStale = false;", "params", "parameters")
            .Build();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(nb, options: new() { Parameters = [new(name, raw)] }));
        Assert.Equal(message, e.Message);
        Assert.All(nb.Cells, c => { Assert.Null(c.ExecutionCount); Assert.Empty(c.Outputs); });
    }

    [Fact]
    public async Task A_string_parameter_given_digits_runs_as_a_string()
    {
        var nb = new NotebookBuilder()
            .CodeWithId("var preset = \"smoke\";\nint seeds = 1;\nbool reuseStale = false;", "params", "parameters")
            .CodeWithId("$\"{preset}:{preset.GetType().Name}|{seeds}|{reuseStale}\"", "show")
            .Build();
        var result = await RunAsync(nb, options: new() { Parameters = [new("preset", "3"), new("seeds", "4"), new("reuseStale", "true")] });
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("3:String|4|True", nb.Cells[2].Outputs.Single().Text());
    }

    [Fact]
    public async Task Run_with_parameters_overrides_the_defaults_with_inferred_types()
    {
        var nb = new NotebookBuilder()
            .CodeWithId("var preset = \"paper\";\nvar epochs = 10;\nvar lr = 0.1;\nvar tag = \"x\";\nvar fast = false;", "params", "parameters")
            .CodeWithId("$\"{preset}|{epochs}:{epochs.GetType().Name}|{lr}:{lr.GetType().Name}|{tag}|{fast}\"", "show")
            .Build();
        var options = new NotebookRunOptions { Preset = "smoke", Parameters = [new("epochs", "2"), new("lr", "0.5"), new("tag", "y z"), new("fast", "true")] };

        var result = await RunAsync(nb, options: options);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(3, nb.Cells.Count);
        Assert.Equal("smoke|2:Int32|0.5:Double|y z|True", nb.Cells[2].Outputs.Single().Text());
        Assert.Equal(["params", nb.Cells[1].Id, "show"], nb.Cells.Select(c => c.Id));
        Assert.Equal(new int?[] { 1, 2, 3 }, nb.Cells.Select(c => c.ExecutionCount));
    }
}
