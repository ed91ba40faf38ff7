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
        .CodeWithId("var preset = \"paper\";\nvar epochs = 10;", "params", "parameters")
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
            .CodeWithId("var preset = \"paper\";", "params", "parameters")
            .CodeWithId("var x = 1;", "injected-parameters")
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
    public void Without_a_parameters_cell_the_injection_goes_on_top()
    {
        var nb = new NotebookBuilder().Markdown("# t", "md").CodeWithId("var x = 1;", "c").Build();
        var cell = NotebookParameters.Inject(nb, [new("x", "2")])!;
        Assert.Equal([cell.Id, "md", "c"], nb.Cells.Select(c => c.Id));
    }

    [Fact]
    public void Bad_preset_and_duplicates_are_rejected()
    {
        Assert.Contains("smoke, quick, paper", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [], "fast")).Message);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("a", "1"), new("a", "2")])).Message);
        Assert.Contains("--preset", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("preset", "quick")], "smoke")).Message);
        Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(Sample(), [new("not valid", "1")]));
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
