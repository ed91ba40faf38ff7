using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>The GPU PACT quantizer against the kit's <see cref="PactActivationQuantizer"/>: forward values bit for bit (ties to
/// even included), and the straight-through backward for the input and for α.</summary>
public class GpuQuantizersTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Pact_ForwardAndBackward_MatchTheKitsQuantizer(string device)
    {
        using var gpu = GpuTest.Open(device);
        foreach (int bits in new[] { 1, 2, 4, 8 })
        {
            var q = new PactActivationQuantizer(bits, initialAlpha: 3f);
            float alpha = q.Alpha.Item(), step = alpha / ((1 << bits) - 1);
            var xs = Tensor.Randn([1000], new Generator(bits)) * 2f + 1f;
            var xv = xs.ToArray();
            for (int i = 0; i < 20; i++) xv[i] = (i + 0.5f) * step;   // exact ties: rounded to even
            xv[20] = alpha; xv[21] = 0f; xv[22] = -0f;
            var x = Tensor.FromArray(xv, 1000).RequiresGrad_();
            var y = q.Quantize(x);
            var r = Tensor.Randn([1000], new Generator(50 + bits));
            var grads = Autograd.Grad([(y * r).Sum()], [x, q.Alpha]);

            using var dx = gpu.Accelerator.Allocate1D(xv);
            using var dy = gpu.Accelerator.Allocate1D<float>(1000);
            GpuQuantizers.PactForward(gpu, dx.View, alpha, bits, dy.View);
            Assert.Equal(y.ToArray(), dy.GetAsArray1D());

            using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
            using var dgx = gpu.Accelerator.Allocate1D<float>(1000);
            float ga = GpuQuantizers.PactBackward(gpu, dx.View, dr.View, alpha, dgx.View);
            Assert.Equal(grads[0]!.ToArray(), dgx.GetAsArray1D());
            float expectedGa = grads[1]!.Item();
            Assert.True(Math.Abs(expectedGa - ga) <= 1e-4f * (1 + Math.Abs(expectedGa)), $"{device} {bits} bits: ∂L/∂α {ga} vs kit {expectedGa}");
        }
    }

    [Fact]
    public void BadAlphaOrBits_AreRefused()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(4);
        Assert.Contains("positive finite", Assert.Throws<ArgumentException>(() => GpuQuantizers.PactForward(gpu, d.View, 0f, 2, d.View)).Message);
        Assert.Contains("1 to 16", Assert.Throws<ArgumentException>(() => GpuQuantizers.PactForward(gpu, d.View, 1f, 0, d.View)).Message);
    }
}
