using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>GPU pooling against the CPU engine's, forward and backward: overlapping and disjoint windows, padding, odd sizes,
/// and adaptive average pooling to 1×1 (the ResNet head) and to sizes that do not divide the input.</summary>
public class GpuPool2dTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void MaxAndAveragePooling_ForwardAndBackward_MatchTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var gen = new Generator(31);
        foreach (var g in new[] { new GpuPoolGeometry(2, 3, 7, 9, 3, 3, 2, 2, 1, 1), new GpuPoolGeometry(1, 2, 8, 8, 2, 2, 2, 2), new GpuPoolGeometry(2, 1, 5, 6, 3, 2, 1, 1, 1, 0) })
        {
            var x = Tensor.Randn([g.N, g.C, g.H, g.W], gen).RequiresGrad_();
            using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
            using var dy = gpu.Accelerator.Allocate1D<float>(g.OutputLength);
            using var didx = gpu.Accelerator.Allocate1D<int>(g.OutputLength);
            using var dgx = gpu.Accelerator.Allocate1D<float>(g.InputLength);

            var ym = F.MaxPool2d(x, (g.KH, g.KW), (g.SH, g.SW), (g.PH, g.PW));
            var r = Tensor.Randn(ym.Shape.ToArray(), gen);
            var gm = Autograd.Grad([(ym * r).Sum()], [x])[0]!;
            GpuPool2d.MaxForward(gpu, g, dx.View, dy.View, didx.View);
            GpuTest.CloseEach(ym.ToArray(), dy.GetAsArray1D(), $"{device} {g} max forward", 1e-5f);
            using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
            GpuPool2d.MaxBackward(gpu, g, dr.View, didx.View, dgx.View);
            GpuTest.CloseEach(gm.ToArray(), dgx.GetAsArray1D(), $"{device} {g} max backward", 1e-5f);

            var ya = F.AvgPool2d(x, (g.KH, g.KW), (g.SH, g.SW), (g.PH, g.PW));
            var ga = Autograd.Grad([(ya * r).Sum()], [x])[0]!;
            GpuPool2d.AvgForward(gpu, g, dx.View, dy.View);
            GpuTest.CloseEach(ya.ToArray(), dy.GetAsArray1D(), $"{device} {g} average forward", 1e-5f);
            GpuPool2d.AvgBackward(gpu, g, dr.View, dgx.View);
            GpuTest.CloseEach(ga.ToArray(), dgx.GetAsArray1D(), $"{device} {g} average backward", 1e-5f);
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void AdaptiveAveragePooling_MatchesTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var gen = new Generator(32);
        foreach (var (h, w, oh, ow) in new[] { (8, 8, 1, 1), (7, 10, 3, 4), (5, 5, 5, 5) })
        {
            var x = Tensor.Randn([2, 3, h, w], gen).RequiresGrad_();
            var y = F.AdaptiveAvgPool2d(x, (oh, ow));
            var r = Tensor.Randn(y.Shape.ToArray(), gen);
            var gx = Autograd.Grad([(y * r).Sum()], [x])[0]!;
            using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
            using var dy = gpu.Accelerator.Allocate1D<float>(y.Numel);
            using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
            using var dgx = gpu.Accelerator.Allocate1D<float>(x.Numel);
            GpuPool2d.AdaptiveAvgForward(gpu, 2, 3, h, w, oh, ow, dx.View, dy.View);
            GpuTest.CloseEach(y.ToArray(), dy.GetAsArray1D(), $"{device} {h}×{w}→{oh}×{ow} forward", 1e-5f);
            GpuPool2d.AdaptiveAvgBackward(gpu, 2, 3, h, w, oh, ow, dr.View, dgx.View);
            GpuTest.CloseEach(gx.ToArray(), dgx.GetAsArray1D(), $"{device} {h}×{w}→{oh}×{ow} backward", 1e-5f);
        }
    }

    [Fact]
    public void TooMuchPadding_IsRefusedAsPyTorchDoes()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(100);
        var e = Assert.Throws<ArgumentException>(() => GpuPool2d.AvgForward(gpu, new GpuPoolGeometry(1, 1, 5, 5, 2, 2, 2, 2, 2, 0), d.View, d.View));
        Assert.Contains("more than half", e.Message);
    }
}
