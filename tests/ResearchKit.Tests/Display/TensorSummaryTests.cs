using ResearchKit.Display;
using ResearchKit.Tables;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Display;

public class TensorSummaryTests
{
    [Fact]
    public void Statistics_match_a_reference_computation()
    {
        var rng = new Random(7);
        var data = Enumerable.Range(0, 60).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var t = Tensor.FromArray(data, 3, 4, 5);
        var s = ResearchKit.Display.Display.Summarize(t);
        double mean = data.Average(x => (double)x);
        double std = Math.Sqrt(data.Sum(x => (x - mean) * (x - mean)) / (data.Length - 1));
        Assert.Equal([3, 4, 5], s.Shape);
        Assert.Equal(DType.Float32, s.DType);
        Assert.Equal(60, s.Numel);
        Assert.Equal(data.Min(), s.Min);
        Assert.Equal(data.Max(), s.Max);
        Assert.Equal(mean, s.Mean, 12);
        Assert.Equal(std, s.Std, 12);
        Assert.Equal(data.Take(TensorSummary.ShownValues).Select(x => (double)x), s.FirstValues);
        Assert.False(s.RequiresGrad);
        Assert.Contains("values: [", s.ToString());
        Assert.Contains(", …]", s.ToString());
    }

    [Fact]
    public void Grad_state_names_non_finite_and_int64_are_reported()
    {
        var leaf = Tensor.FromArray([1f, float.NaN, 3f, float.PositiveInfinity], 4).RequiresGrad_();
        leaf.Name = "w<1>";
        var s = ResearchKit.Display.Display.Summarize(leaf);
        Assert.True(s.RequiresGrad);
        Assert.Equal(2, s.NonFiniteCount);
        Assert.Equal(2.0, s.Mean);     // finite values only
        var text = s.ToString();
        Assert.Contains("requires_grad: True", text);
        Assert.Contains("non-finite: 2", text);
        Assert.Contains("values: [1, nan, 3, inf]", text);
        Assert.Contains("<code>w&lt;1&gt;</code>", s.ToMimeBundle()["text/html"]);

        var derived = ResearchKit.Display.Display.Summarize(leaf * 2f);
        Assert.NotNull(derived.GradFn);
        Assert.Contains("grad_fn: ", derived.ToString());

        var labels = ResearchKit.Display.Display.Summarize(Tensor.FromArray(new long[] { 9007199254740993L, 1 }, 2));
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal(9007199254740993d, labels.Max);   // read as long, not through float32
        Assert.Contains("dtype: int64", labels.ToString());
    }

    [Fact]
    public void Empty_and_single_element_tensors_give_nan_statistics()
    {
        var empty = ResearchKit.Display.Display.Summarize(Tensor.Zeros(0, 3));
        Assert.True(double.IsNaN(empty.Min) && double.IsNaN(empty.Mean) && double.IsNaN(empty.Std));
        Assert.Contains("values: []", empty.ToString());
        var one = ResearchKit.Display.Display.Summarize(Tensor.FromArray([5f], 1));
        Assert.Equal(5.0, one.Mean);
        Assert.True(double.IsNaN(one.Std));   // like torch.std of one element
    }

    [Fact]
    public void MimeBundleOf_dispatches_rich_displays_tensors_and_other_values()
    {
        var table = ResultsTable.From(ResearchKit.Tests.Tables.SampleTables.FrameOf(("a", ["x"])));
        Assert.Equal(table.ToHtml(), ResearchKit.Display.Display.MimeBundleOf(table)["text/html"]);
        var t = Tensor.FromArray([1f, 2f], 2);
        Assert.Contains("shape: [2]", ResearchKit.Display.Display.MimeBundleOf(t)["text/plain"]);
        Assert.Equal(new Dictionary<string, string> { ["text/plain"] = "42" }, ResearchKit.Display.Display.MimeBundleOf(42));
        Assert.Equal("null", ResearchKit.Display.Display.MimeBundleOf(null)["text/plain"]);
    }
}
