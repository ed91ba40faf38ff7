using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>GPU batch norm against the CPU engine's: training forward with the running-statistics update, its backward
/// (input, γ, β), and the evaluation forward; 2-D and 4-D shapes, channels with fewer and more values than a block.</summary>
public class GpuBatchNormTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void TrainForwardBackward_AndEval_MatchTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var gen = new Generator(21);
        foreach (int[] shape in new[] { new[] { 6, 3 }, new[] { 4, 5, 7, 9 }, new[] { 2, 2, 16, 16 } })
        {
            int n = shape[0], c = shape[1], s = shape.Skip(2).Aggregate(1, (a, b) => a * b);
            var x = (Tensor.Randn(shape, gen) * 3f + 1f).RequiresGrad_();
            var w = Tensor.Uniform([c], 0.5f, 1.5f, gen).RequiresGrad_();
            var b = Tensor.Randn([c], gen).RequiresGrad_();
            var rm = Tensor.Randn([c], gen);
            var rv = Tensor.Uniform([c], 0.5f, 2f, gen);
            var rm0 = rm.ToArray(); var rv0 = rv.ToArray();
            var y = F.BatchNorm(x, rm, rv, w, b, training: true, momentum: 0.1f, eps: 1e-5f);
            var r = Tensor.Randn(shape, gen);
            var grads = Autograd.Grad([(y * r).Sum()], [x, w, b]);
            string what = $"{device} [{string.Join(",", shape)}]";

            using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
            using var dw = gpu.Accelerator.Allocate1D(w.ToArray());
            using var db = gpu.Accelerator.Allocate1D(b.ToArray());
            using var drm = gpu.Accelerator.Allocate1D(rm0);
            using var drv = gpu.Accelerator.Allocate1D(rv0);
            using var dy = gpu.Accelerator.Allocate1D<float>(x.Numel);
            using var dmean = gpu.Accelerator.Allocate1D<float>(c);
            using var dinv = gpu.Accelerator.Allocate1D<float>(c);
            GpuBatchNorm.ForwardTrain(gpu, dx.View, n, c, s, dw.View, db.View, drm.View, drv.View, 0.1f, 1e-5f, dy.View, dmean.View, dinv.View);
            GpuTest.CloseScaled(y.ToArray(), dy.GetAsArray1D(), what + " train forward", 1e-5f);
            GpuTest.CloseScaled(rm.ToArray(), drm.GetAsArray1D(), what + " running mean", 1e-5f);
            GpuTest.CloseScaled(rv.ToArray(), drv.GetAsArray1D(), what + " running var", 1e-5f);

            using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
            using var dgx = gpu.Accelerator.Allocate1D<float>(x.Numel);
            using var dgw = gpu.Accelerator.Allocate1D<float>(c);
            using var dgb = gpu.Accelerator.Allocate1D<float>(c);
            GpuBatchNorm.BackwardTrain(gpu, dx.View, dr.View, n, c, s, dw.View, dmean.View, dinv.View, dgx.View, dgw.View, dgb.View);
            GpuTest.CloseScaled(grads[0]!.ToArray(), dgx.GetAsArray1D(), what + " input gradient", 1e-4f);
            GpuTest.CloseScaled(grads[1]!.ToArray(), dgw.GetAsArray1D(), what + " γ gradient", 1e-4f);
            GpuTest.CloseScaled(grads[2]!.ToArray(), dgb.GetAsArray1D(), what + " β gradient", 1e-4f);

            var ye = F.BatchNorm(x, rm, rv, w, b, training: false, eps: 1e-5f);
            using var drm2 = gpu.Accelerator.Allocate1D(rm.ToArray());
            using var drv2 = gpu.Accelerator.Allocate1D(rv.ToArray());
            GpuBatchNorm.ForwardEval(gpu, dx.View, n, c, s, dw.View, db.View, drm2.View, drv2.View, 1e-5f, dy.View);
            GpuTest.CloseScaled(ye.ToArray(), dy.GetAsArray1D(), what + " eval forward", 1e-5f);
        }
    }

    [Fact]
    public void OneValuePerChannelInTraining_IsRefused()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(8);
        var e = Assert.Throws<ArgumentException>(() => GpuBatchNorm.ForwardTrain(gpu, d.View, 1, 2, 1, default, default, d.View, d.View, 0.1f, 1e-5f, d.View, d.View, d.View));
        Assert.Contains("eval mode", e.Message);
    }
}
