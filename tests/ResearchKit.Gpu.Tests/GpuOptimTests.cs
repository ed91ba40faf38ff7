using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>GPU optimizer steps against the engine's <c>Sgd</c> and <c>Adam</c> over three steps with changing gradients.</summary>
public class GpuOptimTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Sgd_AndAdam_FollowTheEngine_OverSeveralSteps(string device)
    {
        using var gpu = GpuTest.Open(device);
        const int n = 37;
        var grads = Enumerable.Range(0, 3).Select(s => Tensor.Randn([n], new Generator(100 + s))).ToArray();
        foreach (var (name, momentum, nesterov, wd) in new[] { ("plain", 0f, false, 0f), ("momentum", 0.9f, false, 1e-4f), ("nesterov", 0.9f, true, 5e-4f) })
        {
            var p = Tensor.Randn([n], new Generator(1)).RequiresGrad_();
            var start = p.ToArray();
            var sgd = new Sgd([p], lr: 0.1, momentum: momentum, weightDecay: wd, nesterov: nesterov);
            using var dp = gpu.Accelerator.Allocate1D(start);
            using var dbuf = gpu.Accelerator.Allocate1D<float>(n);
            for (int s = 0; s < 3; s++)
            {
                p.Grad = grads[s].Clone();
                sgd.Step();
                using var dg = gpu.Accelerator.Allocate1D(grads[s].ToArray());
                GpuOptim.SgdStep(gpu, dp.View, dg.View, dbuf.View, 0.1f, momentum, 0f, wd, nesterov, firstStep: s == 0);
            }
            GpuTest.CloseEach(p.ToArray(), dp.GetAsArray1D(), $"{device} SGD {name}", 1e-6f);
        }

        var q = Tensor.Randn([n], new Generator(2)).RequiresGrad_();
        var adam = new Adam([q], lr: 1e-2, weightDecay: 1e-3);
        using var dq = gpu.Accelerator.Allocate1D(q.ToArray());
        using var dm = gpu.Accelerator.Allocate1D<float>(n);
        using var dv = gpu.Accelerator.Allocate1D<float>(n);
        dm.MemSetToZero(); dv.MemSetToZero();
        for (int s = 0; s < 3; s++)
        {
            q.Grad = grads[s].Clone();
            adam.Step();
            using var dg = gpu.Accelerator.Allocate1D(grads[s].ToArray());
            GpuOptim.AdamStep(gpu, dq.View, dg.View, dm.View, dv.View, s + 1, lr: 1e-2f, weightDecay: 1e-3f);
        }
        GpuTest.CloseEach(q.ToArray(), dq.GetAsArray1D(), $"{device} Adam", 1e-6f);
    }

    [Fact]
    public void MismatchedStateOrStep_AreRefused()
    {
        using var gpu = GpuDevice.Cpu();
        using var a = gpu.Accelerator.Allocate1D<float>(4);
        using var b = gpu.Accelerator.Allocate1D<float>(3);
        Assert.Contains("must match", Assert.Throws<ArgumentException>(() => GpuOptim.SgdStep(gpu, a.View, b.View, a.View, 0.1f)).Message);
        Assert.Contains("from 1", Assert.Throws<ArgumentException>(() => GpuOptim.AdamStep(gpu, a.View, a.View, a.View, a.View, 0)).Message);
    }
}
