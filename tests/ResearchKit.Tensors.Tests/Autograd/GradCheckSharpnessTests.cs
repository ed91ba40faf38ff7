using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// The checkers themselves are tested: a backward rule that is off by 1 % (or less) must be rejected, the exact rule
/// accepted. Custom <see cref="Function"/>s supply exact forwards with deliberately scaled backwards.
/// </summary>
public class GradCheckSharpnessTests
{
    /// <summary>x·sin(x) with backward g·(sin x + x cos x)·scale.</summary>
    private sealed class XSinX(float scale) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0] * x[0].Sin(); }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g)
        {
            var x = ctx.SavedTensors[0];
            return [g * (x.Sin() + x * x.Cos()) * scale];
        }
    }

    /// <summary>A·B (2-D) with backward (g·Bᵀ, Aᵀ·g)·scale.</summary>
    private sealed class Product(float scale) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0], x[1]); return x[0].Matmul(x[1]); }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g)
        {
            Tensor a = ctx.SavedTensors[0], b = ctx.SavedTensors[1];
            return [g.Matmul(b.T) * scale, a.T.Matmul(g) * scale];
        }
    }

    /// <summary>eˣ with backward g·eˣ·scale.</summary>
    private sealed class Exp(float scale) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0].Exp(); }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0].Exp() * scale];
    }

    /// <summary>3x² whose backward 6x·scale is wrong only when differentiated twice through <see cref="Cube"/>.</summary>
    private sealed class ThreeSquare(float scale) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0].Square() * 3f; }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0] * (6f * scale)];
    }

    /// <summary>x³ with an exact first derivative g·3x² whose own derivative carries the scale (second order only).</summary>
    private sealed class Cube(float secondOrderScale) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0].Pow(3f); }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * new ThreeSquare(secondOrderScale).Apply(ctx.SavedTensors[0])];
    }

    /// <summary>2x whose backward detaches the incoming gradient: first order right, graph cut for second order.</summary>
    private sealed class DoubleCut : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) => x[0] * 2f;
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g.Detach() * 2f];
    }

    private static void Run(string op, float scale)
    {
        switch (op)
        {
            case "x_sin_x": GradCheck.Check(t => new XSinX(scale).Apply(t[0]), [GradCheck.Leaf(1, 3, 4)]); break;
            case "product": GradCheck.Check(t => new Product(scale).Apply(t[0], t[1]), [GradCheck.Leaf(2, 3, 4), GradCheck.Leaf(3, 4, 2)]); break;
            case "exp": GradCheck.Check(t => new Exp(scale).Apply(t[0]), [GradCheck.Leaf(4, 5)]); break;
            default: throw new ArgumentException(op);
        }
    }

    [Theory]
    [InlineData("x_sin_x")] [InlineData("product")] [InlineData("exp")]
    public void ExactBackward_Passes(string op) => Run(op, 1f);

    [Theory]
    [InlineData("x_sin_x", 1.01f)] [InlineData("product", 1.01f)] [InlineData("exp", 1.01f)]
    [InlineData("x_sin_x", 0.99f)] [InlineData("product", 0.99f)] [InlineData("exp", 0.99f)]
    // The norm criterion (1e-3) makes a uniform 0.3 % error fail too: the check is ~3× sharper than required.
    [InlineData("x_sin_x", 1.003f)] [InlineData("product", 1.003f)] [InlineData("exp", 0.997f)]
    public void ScaledBackward_Fails(string op, float scale)
    {
        var e = Assert.Throws<Xunit.Sdk.XunitException>(() => Run(op, scale));
        Assert.StartsWith("GradCheck:", e.Message);
    }

    [Fact]
    public void SecondOrder_ExactRule_Passes() =>
        GradCheck.CheckSecondOrder(t => new Cube(1f).Apply(t[0]), [GradCheck.Leaf(5, 2, 3)]);

    [Theory]
    [InlineData(1.01f)] [InlineData(0.99f)]
    public void SecondOrder_ScaledSecondDerivative_Fails(float scale)
    {
        var x = GradCheck.Leaf(5, 2, 3);
        GradCheck.Check(t => new Cube(scale).Apply(t[0]), [x]); // first order is exact...
        var e = Assert.Throws<Xunit.Sdk.XunitException>(() => GradCheck.CheckSecondOrder(t => new Cube(scale).Apply(t[0]), [x]));
        Assert.Contains("∂²/∂x", e.Message); // ...and the second-order error is found where it is
    }

    [Fact]
    public void SecondOrder_BackwardThatCutsTheGraph_Fails()
    {
        var x = GradCheck.Leaf(6, 2, 3);
        GradCheck.Check(t => new DoubleCut().Apply(t[0]), [x]);
        // A linear op has zero ∂²/∂x², so only the derivative with respect to the incoming gradient exposes the cut.
        var e = Assert.Throws<Xunit.Sdk.XunitException>(() => GradCheck.CheckSecondOrder(t => new DoubleCut().Apply(t[0]), [x]));
        Assert.Contains("∂²/∂w", e.Message);
    }
}
