using FsCheck.Fluent;
using Xunit;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>The property runner really runs its cases, replays the same ones, and reports a failing case.</summary>
public class PropertyHarnessTests
{
    [Fact]
    public void RunsHundredCases_SameSequenceEveryRun()
    {
        var first = new List<int[]>();
        var second = new List<int[]>();
        PropertyCheck.ForAll(PropertyCheck.Shape(), first.Add);
        PropertyCheck.ForAll(PropertyCheck.Shape(), second.Add);
        Assert.Equal(100, first.Count);
        Assert.Equal(first.Select(Ref.Fmt), second.Select(Ref.Fmt));
        Assert.Contains(first, s => s.Length == 0);
        Assert.Contains(first, s => s.Length == 4);
    }

    [Fact]
    public void FailingProperty_ThrowsWithTheCase()
    {
        var ex = Assert.ThrowsAny<Exception>(() => PropertyCheck.ForAll(Gen.Choose(0, 10), x => Assert.True(x < 5, $"x = {x}")));
        Assert.Contains("Falsifiable", ex.Message);
    }
}
