using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// Defect 2: second derivatives through ReLU, Clamp, ELU and SiLU came out wrong (Σ relu(x)·x gave [1, 0, 1] instead
/// of [2, 0, 2]) and Slice/Select/Chunk/Split/Diagonal cut the graph under <c>createGraph</c>. Each case compares the
/// diagonal of the Hessian, d/dx Σ ∂f/∂x, with its closed form.
/// </summary>
public class DoubleBackwardTests
{
    private static float[] HessianRowSums(Func<Tensor, Tensor> f, float[] at)
    {
        var x = Tensor.FromArray(at).RequiresGrad_();
        var g = Autograd.Grad(f(x).Sum(), x, createGraph: true);
        return Autograd.Grad(g.Sum(), x).ToArray();
    }

    private static void AssertValues(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]),
                $"element {i}: expected {expected[i]}, got {actual[i]} (all: [{string.Join(", ", actual)}])");
    }

    [Fact]
    public void ReluTimesX()
    {
        // f = relu(x)·x: f' = 2x above 0, f'' = 2 above 0, 0 below.
        AssertValues([2f, 0f, 2f], HessianRowSums(x => x.Relu() * x, [1f, -1f, 2f]));
    }

    [Fact]
    public void ClampTimesX()
    {
        AssertValues([2f, 0f, 2f, 0f], HessianRowSums(x => x.Clamp(-1f, 1f) * x, [0.5f, 2f, -0.3f, -3f]));
    }

    [Fact]
    public void Elu()
    {
        float[] at = [-1.5f, -0.2f, 0.7f];
        const float alpha = 1.3f;
        AssertValues([alpha * MathF.Exp(-1.5f), alpha * MathF.Exp(-0.2f), 0f], HessianRowSums(x => x.Elu(alpha), at));
    }

    [Fact]
    public void Silu()
    {
        float[] at = [-2f, -0.5f, 0.3f, 1.7f];
        var expected = at.Select(v =>
        {
            double s = 1 / (1 + Math.Exp(-v));
            return (float)(s * (1 - s) * (2 + v * (1 - 2 * s)));
        }).ToArray();
        AssertValues(expected, HessianRowSums(x => x.Silu(), at));
    }

    [Fact]
    public void ViewsKeepTheGraph()
    {
        float[] at = [1f, 2f, 3f, 4f, 5f, 6f];
        // Σ v² over the view: f'' = 2 where the view reads x, 0 elsewhere.
        AssertValues([0f, 2f, 2f, 0f, 0f, 0f], HessianRowSums(x => x.Slice(0, 1, 3).Square(), at));
        AssertValues([0f, 0f, 0f, 2f, 2f, 2f], HessianRowSums(x => x.Reshape(2, 3).Select(0, 1).Square(), at));
        AssertValues([2f, 2f, 2f, 2f, 0f, 0f], HessianRowSums(x => x.Chunk(3)[0].Square() + x.Chunk(3)[1].Square(), at));
        AssertValues([0f, 0f, 0f, 0f, 2f, 2f], HessianRowSums(x => x.Split(2)[2].Square(), at));
        AssertValues([2f, 0f, 0f, 0f, 2f, 0f], HessianRowSums(x => x.Reshape(2, 3).Diagonal().Square(), at));
    }

    [Fact]
    public void LstmCell_KeepsThePathToTheInput()
    {
        // Gradient-norm penalty ‖∂L/∂x‖², differentiated again: compared with central differences of the first
        // gradient, which is what the second-order graph must reproduce.
        var cell = new LstmCell(3, 4, generator: new Generator(1));
        var x0 = Tensor.Randn([2, 3], new Generator(2));
        Tensor Penalty(Tensor x, bool create)
        {
            var (h, c) = cell.Forward(x);
            var g = Autograd.Grad((h.Square().Sum() + c.Sum()), x, createGraph: create);
            return g.Square().Sum();
        }
        var xr = x0.Clone().RequiresGrad_();
        var analytic = Autograd.Grad(Penalty(xr, create: true), xr).ToArray();
        const float eps = 1e-2f;
        for (int j = 0; j < analytic.Length; j++)
        {
            var xp = x0.Clone(); xp.AsSpan()[j] += eps;
            var xm = x0.Clone(); xm.AsSpan()[j] -= eps;
            double fp = Penalty(xp.RequiresGrad_(), create: false).Item();
            double fm = Penalty(xm.RequiresGrad_(), create: false).Item();
            double numeric = (fp - fm) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic[j]) <= 2e-3 + 1e-2 * Math.Abs(numeric), $"element {j}: autograd {analytic[j]}, finite difference {numeric}");
        }
        Assert.Contains(analytic, v => Math.Abs(v) > 1e-3);
    }
}
