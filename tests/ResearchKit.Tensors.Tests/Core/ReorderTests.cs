using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>flip, roll, repeat, repeat_interleave, tril/triu, diagonal: values (PyTorch numbers baked in), gradients, errors.</summary>
public class ReorderTests
{
    private static Tensor Grid(params int[] shape) => Tensor.Arange(ShapeUtil.Numel(shape)).Reshape(shape);

    [Fact]
    public void Flip_Values_NegativeDims_Views_Int64()
    {
        Assert.Equal(new[] { 11f, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 }, Grid(3, 4).Flip(0, 1).ToArray());
        Assert.Equal(new[] { 3f, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8 }, Grid(3, 4).Flip(-1).ToArray());
        Assert.Equal(new[] { 8f, 4, 0, 9, 5, 1, 10, 6, 2, 11, 7, 3 }, Grid(3, 4).T.Flip(1).ToArray());
        Assert.Equal(new long[] { 3, 2, 1 }, Tensor.FromArray(new long[] { 1, 2, 3 }).Flip(0).ToInt64Array());
        Assert.Equal(new[] { 1f, 0, 3, 2 }, Grid(2, 2).Flip(1).Flip().ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Grid(2, 2).Flip(1, -1));
        Assert.Contains("twice", ex.Message);
        GradCheck.Check(t => t[0].Flip(0, 2), [GradCheck.Leaf(1, 2, 3, 2)]);
    }

    [Fact]
    public void Roll_MatchesPyTorch()
    {
        Assert.Equal(new[] { 5f, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4 }, Grid(3, 4).Roll(-5).ToArray());
        Assert.Equal(new[] { 11f, 8, 9, 10, 3, 0, 1, 2, 7, 4, 5, 6 }, Grid(3, 4).Roll([1, 1], [0, -1]).ToArray());
        Assert.Equal(new[] { 5f, 3, 4, 2, 0, 1 }, Grid(2, 3).Roll([1, 1], [0, 1]).ToArray());
        Assert.Equal(Grid(2, 3).ToArray(), Grid(2, 3).Roll(6).ToArray());
        Assert.Equal(new long[] { 3, 1, 2 }, Tensor.FromArray(new long[] { 1, 2, 3 }).Roll(4).ToInt64Array());
        Assert.Throws<ArgumentException>(() => Grid(2, 2).Roll([1], [0, 1]));
        GradCheck.Check(t => t[0].Roll([2, -1], [1, 0]), [GradCheck.Leaf(2, 3, 4)]);
        GradCheck.Check(t => t[0].T.Roll(3), [GradCheck.Leaf(3, 2, 3)]);
    }

    [Fact]
    public void Repeat_MatchesPyTorch_AndSumsTilesInBackward()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        var y = x.Repeat(2, 1, 3);
        Assert.Equal(new Shape(2, 2, 6), y.Shape);
        Assert.Equal(new[] { 1f, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4 }, y.ToArray());
        Assert.Equal(new long[] { 5, 6, 5, 6 }, Tensor.FromArray(new long[] { 5, 6 }).Repeat(2).ToInt64Array());
        Assert.Equal(new Shape(0, 2), x.Repeat(0, 1).Shape);
        Assert.Equal(new[] { 1f, 3, 1, 3, 2, 4, 2, 4 }, x.T.Repeat(1, 2).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => x.Repeat(2));
        Assert.Contains("(2, 2)", ex.Message);
        Assert.Throws<ArgumentException>(() => x.Repeat(1, -1));
        var leaf = GradCheck.Leaf(4, 2, 3);
        leaf.Repeat(3, 2).Sum().Backward();
        Assert.All(leaf.Grad!.ToArray(), g => Assert.Equal(6f, g));
        GradCheck.Check(t => t[0].Repeat(2, 1, 2), [GradCheck.Leaf(5, 2, 3)]);
    }

    [Fact]
    public void RepeatInterleave_ScalarAndTensorCounts()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        Assert.Equal(new[] { 1f, 2, 1, 2, 3, 4, 3, 4 }, x.RepeatInterleave(2, dim: 0).ToArray());
        Assert.Equal(new[] { 1f, 1, 2, 2, 3, 3, 4, 4 }, x.RepeatInterleave(2).ToArray());
        Assert.Equal(new[] { 0f, 2, 2 }, Tensor.Arange(3).RepeatInterleave(Tensor.FromArray(new long[] { 1, 0, 2 })).ToArray());
        Assert.Equal(new[] { 0f, 0, 1, 1, 2, 2 }, Tensor.Arange(3).RepeatInterleave(Tensor.FromArray(new long[] { 2 })).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => x.RepeatInterleave(Tensor.FromArray(new long[] { 1, 2, 3 }), 1));
        Assert.Contains("(3,)", ex.Message);
        GradCheck.Check(t => t[0].RepeatInterleave(3, dim: 1), [GradCheck.Leaf(6, 2, 3)]);
        GradCheck.Check(t => t[0].RepeatInterleave(Tensor.FromArray(new long[] { 2, 0, 1 }), 1), [GradCheck.Leaf(7, 2, 3)]);
    }

    [Fact]
    public void TrilTriu_MatchPyTorch_Batched()
    {
        Assert.Equal(new[] { 0f, 0, 0, 3, 0, 0, 6, 7, 0 }, Grid(3, 3).Tril(-1).ToArray());
        Assert.Equal(new[] { 0f, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11 }, Grid(3, 4).Triu(1).ToArray());
        Assert.Equal(new[] { 0f, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11 }, Grid(3, 4).Tril(1).ToArray());
        Assert.Equal(Grid(3, 4).ToArray(), Grid(3, 4).Tril(5).ToArray());
        Assert.All(Grid(3, 4).Triu(4).ToArray(), v => Assert.Equal(0f, v));
        var b = Grid(2, 2, 2).Tril();
        Assert.Equal(new[] { 0f, 0, 2, 3, 4, 0, 6, 7 }, b.ToArray());
        Assert.Equal(new[] { 0f, 0, 1, 3 }, Grid(2, 2).T.Tril().ToArray());
        Assert.Equal(new long[] { 1, 2, 0, 4 }, Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2).Triu().ToInt64Array());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Ones(3).Tril());
        Assert.Contains("(3,)", ex.Message);
        GradCheck.Check(t => t[0].Tril(), [GradCheck.Leaf(8, 2, 3, 3)]);
        GradCheck.Check(t => t[0].Triu(-1), [GradCheck.Leaf(9, 3, 4)]);
    }

    [Fact]
    public void Diagonal_MatchesPyTorch_AsView()
    {
        var x = Grid(2, 3, 4);
        var d1 = x.Diagonal(1, 1, 2);
        Assert.Equal(new Shape(2, 3), d1.Shape);
        Assert.Equal(new[] { 1f, 6, 11, 13, 18, 23 }, d1.ToArray());
        var d2 = x.Diagonal(-1, 2, 0);
        Assert.Equal(new Shape(3, 2), d2.Shape);
        Assert.Equal(new[] { 1f, 14, 5, 18, 9, 22 }, d2.ToArray());
        Assert.Equal(new Shape(0), Grid(2, 2).Diagonal(3).Shape);
        Assert.Throws<ArgumentException>(() => x.Diagonal(0, 1, -2));
        GradCheck.Check(t => t[0].Diagonal(1, 0, 1), [GradCheck.Leaf(10, 3, 4)]);
        GradCheck.Check(t => t[0].Diagonal(-1, -1, 0), [GradCheck.Leaf(11, 3, 2, 3)]);
    }
}
