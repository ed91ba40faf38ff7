using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// Defect 3: <c>Add_(float)</c>, <c>Mul_(Tensor)</c>, <c>Div_</c> and <c>Clamp_</c> checked for a leaf that requires
/// grad only inside their own NoGrad scope, so they never refused; writes into expanded views raced silently.
/// </summary>
public class InPlaceGuardTests
{
    public static TheoryData<string> Ops => new() { "Add_(float)", "Add_(Tensor)", "Mul_(float)", "Mul_(Tensor)", "Sub_", "Div_", "Clamp_", "Fill_", "Zero_", "CopyFrom" };

    private static void Apply(Tensor t, string op)
    {
        var other = Tensor.FromArray([2f, 2]);
        switch (op)
        {
            case "Add_(float)": t.Add_(1f); break;
            case "Add_(Tensor)": t.Add_(other); break;
            case "Mul_(float)": t.Mul_(2f); break;
            case "Mul_(Tensor)": t.Mul_(other); break;
            case "Sub_": t.Sub_(other); break;
            case "Div_": t.Div_(other); break;
            case "Clamp_": t.Clamp_(0f, 1f); break;
            case "Fill_": t.Fill_(1f); break;
            case "Zero_": t.Zero_(); break;
            case "CopyFrom": t.CopyFrom(other); break;
            default: throw new ArgumentException(op);
        }
    }

    [Theory, MemberData(nameof(Ops))]
    public void InPlaceOnALeafThatRequiresGrad_InGradMode_IsRefused(string op)
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var e = Assert.Throws<InvalidOperationException>(() => Apply(w, op));
        Assert.Contains("requires grad", e.Message);
        Assert.Contains("Torch.NoGrad()", e.Message);
        Assert.Equal(new[] { 1f, 2 }, w.ToArray());
        Assert.Equal(0, w.Version);
    }

    [Theory, MemberData(nameof(Ops))]
    public void InPlaceOnALeafThatRequiresGrad_UnderNoGrad_IsAllowed(string op)
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        using (Torch.NoGrad()) Apply(w, op);
        Assert.Equal(1, w.Version);
    }

    [Theory, MemberData(nameof(Ops))]
    public void WriteIntoAnExpandedView_IsRefusedWithShapeAndStrides(string op)
    {
        var expanded = Tensor.FromArray([1f, 2]).Unsqueeze(0).Expand([3, 2]);
        var e = Assert.Throws<InvalidOperationException>(() => Apply(expanded, op));
        Assert.Contains("expanded or self-overlapping", e.Message);
        Assert.Contains("(3, 2)", e.Message);
        Assert.Contains("strides (0, 1)", e.Message);
    }

    [Fact]
    public void OverlapDetection_MatchesABruteForceCheck()
    {
        // Every small (shape, stride) combination: overlap iff two multi-indices hit one offset.
        var gen = new Random(3);
        for (int trial = 0; trial < 2000; trial++)
        {
            int rank = gen.Next(1, 4);
            var shape = new int[rank]; var strides = new int[rank];
            for (int i = 0; i < rank; i++) { shape[i] = gen.Next(1, 4); strides[i] = gen.Next(0, 7); }
            int maxOff = 0;
            for (int i = 0; i < rank; i++) maxOff += (shape[i] - 1) * strides[i];
            var t = Tensor.Zeros([maxOff + 1]).AsStrided(shape, strides);
            var seen = new HashSet<int>();
            bool brute = false;
            foreach (var off in Offsets(shape, strides)) brute |= !seen.Add(off);
            Assert.True(brute == t.HasOverlap(), $"shape ({string.Join(", ", shape)}) strides ({string.Join(", ", strides)}): brute force {brute}, HasOverlap {t.HasOverlap()}");
        }
    }

    private static IEnumerable<int> Offsets(int[] shape, int[] strides)
    {
        var idx = new int[shape.Length];
        while (true)
        {
            int off = 0;
            for (int i = 0; i < shape.Length; i++) off += idx[i] * strides[i];
            yield return off;
            int d = shape.Length - 1;
            while (d >= 0 && ++idx[d] == shape[d]) { idx[d] = 0; d--; }
            if (d < 0) yield break;
        }
    }
}
