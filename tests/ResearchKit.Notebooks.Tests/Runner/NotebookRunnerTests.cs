using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

public class NotebookRunnerTests
{
    [Fact]
    public async Task Variables_persist_across_cells_and_trailing_expression_becomes_execute_result()
    {
        var nb = new NotebookBuilder()
            .Code("var x = 20;")
            .Markdown("between")
            .Code("int Twice(int v) => 2 * v;\nvar y = Twice(x);")
            .Code("y + 2")
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.ExecutedCells);
        Assert.Equal(new int?[] { 1, null, 2, 3 }, nb.Cells.Select(c => c.ExecutionCount).ToArray());
        Assert.Empty(nb.Cells[0].Outputs);
        Assert.Empty(nb.Cells[2].Outputs);
        var res = Assert.IsType<ExecuteResultOutput>(Assert.Single(nb.Cells[3].Outputs));
        Assert.Equal("42", res.Data.GetText("text/plain"));
        Assert.Equal(3, res.ExecutionCount);
    }
}
