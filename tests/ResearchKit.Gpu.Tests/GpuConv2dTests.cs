using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// GPU convolution forward and both backwards, direct and tiled implicit-GEMM, against the CPU engine's <c>Conv2d</c> and its
/// autograd, on odd geometries: stride, padding, dilation, groups, 1×1, non-square kernels, ragged tiles, with and without bias.
/// </summary>
public class GpuConv2dTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void ForwardAndBothBackwards_MatchTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var geometries = new[]
        {
            new GpuConvGeometry(2, 3, 7, 9, 5, 3, 3, PH: 1, PW: 1),
            new GpuConvGeometry(3, 4, 8, 8, 6, 3, 3, SH: 2, SW: 2, PH: 1, PW: 1, Groups: 2),
            new GpuConvGeometry(1, 6, 5, 7, 3, 1, 1, Groups: 3),
            new GpuConvGeometry(2, 2, 9, 6, 4, 3, 2, SH: 1, SW: 3, PH: 2, PW: 1, DH: 2, DW: 1),
            new GpuConvGeometry(2, 3, 13, 11, 17, 3, 3, PH: 1, PW: 1),   // ragged tiles; the weight gradient's sum split in two
        };
        Assert.True(GpuConv2dTiled.WorkspaceLength(geometries[^1]) > 0, "the last geometry must exercise the split weight-gradient sum");
        var gen = new Generator(11);
        foreach (var g in geometries)
            foreach (bool withBias in new[] { false, true })
            {
                var x = Tensor.Randn([g.N, g.C, g.H, g.W], gen).RequiresGrad_();
                var w = Tensor.Randn([g.OutC, g.GroupC, g.KH, g.KW], gen).RequiresGrad_();
                var b = withBias ? Tensor.Randn([g.OutC], gen).RequiresGrad_() : null;
                var y = F.Conv2d(x, w, b, (g.SH, g.SW), (g.PH, g.PW), (g.DH, g.DW), g.Groups);
                var r = Tensor.Randn(y.Shape.ToArray(), gen);   // upstream gradient
                var inputs = withBias ? new[] { x, w, b! } : new[] { x, w };
                var grads = Autograd.Grad([(y * r).Sum()], inputs);
                string what = $"{device} {g} bias={withBias}";

                using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
                using var dw = gpu.Accelerator.Allocate1D(w.ToArray());
                // ILGPU cannot release an empty buffer: no bias is an empty view, not an empty allocation.
                using var db = b is null ? null : gpu.Accelerator.Allocate1D(b.ToArray());
                using var dy = gpu.Accelerator.Allocate1D<float>(g.OutputLength);
                GpuConv2d.Forward(gpu, g, dx.View, dw.View, db?.View ?? default, dy.View);
                GpuTest.CloseScaled(y.ToArray(), dy.GetAsArray1D(), what + " forward", 1e-5f);
                GpuConv2dTiled.Forward(gpu, g, dx.View, dw.View, db?.View ?? default, dy.View);
                GpuTest.CloseScaled(y.ToArray(), dy.GetAsArray1D(), what + " tiled forward", 1e-5f);

                using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
                using var dgx = gpu.Accelerator.Allocate1D<float>(g.InputLength);
                GpuConv2d.BackwardInput(gpu, g, dr.View, dw.View, dgx.View);
                GpuTest.CloseScaled(grads[0]!.ToArray(), dgx.GetAsArray1D(), what + " input gradient", 1e-5f);
                GpuConv2dTiled.BackwardInput(gpu, g, dr.View, dw.View, dgx.View);
                GpuTest.CloseScaled(grads[0]!.ToArray(), dgx.GetAsArray1D(), what + " tiled input gradient", 1e-5f);

                using var dgw = gpu.Accelerator.Allocate1D<float>(g.WeightLength);
                using var dgb = withBias ? gpu.Accelerator.Allocate1D<float>(g.OutC) : null;
                GpuConv2d.BackwardWeight(gpu, g, dx.View, dr.View, dgw.View, dgb?.View ?? default);
                GpuTest.CloseScaled(grads[1]!.ToArray(), dgw.GetAsArray1D(), what + " weight gradient", 1e-5f);
                if (dgb is not null) GpuTest.CloseScaled(grads[2]!.ToArray(), dgb.GetAsArray1D(), what + " bias gradient", 1e-5f);
                long ws = GpuConv2dTiled.WorkspaceLength(g);
                using var dws = ws > 0 ? gpu.Accelerator.Allocate1D<float>(ws) : null;
                GpuConv2dTiled.BackwardWeight(gpu, g, dx.View, dr.View, dgw.View, dgb?.View ?? default, dws?.View ?? default);
                GpuTest.CloseScaled(grads[1]!.ToArray(), dgw.GetAsArray1D(), $"{what} tiled weight gradient ({ws} workspace)", 1e-5f);
                if (dgb is not null) GpuTest.CloseScaled(grads[2]!.ToArray(), dgb.GetAsArray1D(), what + " tiled bias gradient", 1e-5f);
            }
    }

    [Fact]
    public void InvalidGeometries_AreRefusedWithTheReason()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(1000);
        Assert.Contains("must divide", Assert.Throws<ArgumentException>(() =>
            GpuConv2d.Forward(gpu, new GpuConvGeometry(1, 3, 5, 5, 4, 3, 3, Groups: 2), d.View, d.View, default, d.View)).Message);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() =>
            GpuConv2d.Forward(gpu, new GpuConvGeometry(1, 2, 2, 2, 2, 3, 3), d.View, d.View, default, d.View)).Message);
        Assert.Contains("the input has 10 elements", Assert.Throws<ArgumentException>(() =>
            GpuConv2d.Forward(gpu, new GpuConvGeometry(1, 2, 5, 5, 2, 3, 3), d.View.SubView(0, 10), d.View, default, d.View)).Message);
    }
}
