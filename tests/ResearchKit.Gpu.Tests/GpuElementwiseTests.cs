using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Element-wise GPU ops against the CPU engine's: PyTorch broadcasting (size-1 and missing leading dimensions), strided views
/// (a transpose read without a copy), every op, NaN propagation, and the refusals; on the CPU accelerator and every CUDA device.
/// </summary>
public class GpuElementwiseTests
{
    // Strides of a contiguous tensor of shape `inShape` read over the broadcast shape `outShape` (0 where it is broadcast).
    private static long[] BroadcastStrides(int[] inShape, int[] outShape)
    {
        var own = GpuElementwise.ContiguousStrides(inShape);
        var s = new long[outShape.Length];
        for (int i = 0; i < inShape.Length; i++)
        {
            int o = outShape.Length - inShape.Length + i;
            s[o] = inShape[i] == 1 && outShape[o] != 1 ? 0 : own[i];
        }
        return s;
    }

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Binary_Broadcasts_AsTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var g = new Generator(3);
        foreach (var (sa, sb) in new[] { (new[] { 3, 1, 5 }, new[] { 4, 1 }), (new[] { 2, 3, 4 }, new[] { 2, 3, 4 }), (new[] { 7 }, new[] { 1 }), (new[] { 1, 1, 1, 2, 3, 1 }, new[] { 5, 1, 1, 1 }) })
        {
            var a = Tensor.Randn(sa, g);
            var b = Tensor.Rand(sb, g) + 0.5f;   // away from 0 for the division
            var av = a.ToArray();
            av[0] = float.NaN;                   // NaN must propagate through maximum / minimum as in PyTorch
            a = Tensor.FromArray(av, sa);
            int[] shape = (a + b).Shape.ToArray();
            using var da = gpu.Accelerator.Allocate1D(a.ToArray());
            using var db = gpu.Accelerator.Allocate1D(b.ToArray());
            using var dout = gpu.Accelerator.Allocate1D<float>(shape.Aggregate(1, (x, y) => x * y));
            foreach (var (op, reference) in new (DeviceBinaryOp, Tensor)[]
            {
                (DeviceBinaryOp.Add, a + b), (DeviceBinaryOp.Sub, a - b), (DeviceBinaryOp.Mul, a * b), (DeviceBinaryOp.Div, a / b),
                (DeviceBinaryOp.Maximum, Tensor.Maximum(a, b)), (DeviceBinaryOp.Minimum, Tensor.Minimum(a, b)),
            })
            {
                GpuElementwise.Binary(gpu, op, shape, da.View, BroadcastStrides(sa, shape), 0, db.View, BroadcastStrides(sb, shape), 0, dout.View);
                GpuTest.CloseEach(reference.ToArray(), dout.GetAsArray1D(), $"{device} {op} [{string.Join(",", sa)}]⊕[{string.Join(",", sb)}]", 2e-6f);
            }
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Unary_OnATransposedView_AsTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var x = Tensor.Randn([4, 6], new Generator(5));
        var xv = x.ToArray();
        xv[3] = float.NaN;
        x = Tensor.FromArray(xv, 4, 6);
        var t = x.Transpose(0, 1);   // (6, 4) with strides (1, 6): read in place
        var pos = x.Abs() + 0.1f;
        using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
        using var dpos = gpu.Accelerator.Allocate1D(pos.ToArray());
        using var dout = gpu.Accelerator.Allocate1D<float>(24);
        foreach (var (op, reference, src) in new (DeviceUnaryOp, Tensor, MemoryBuffer1D<float, Stride1D.Dense>)[]
        {
            (DeviceUnaryOp.Neg, t.Neg(), dx), (DeviceUnaryOp.Relu, t.Relu(), dx), (DeviceUnaryOp.Exp, t.Exp(), dx), (DeviceUnaryOp.Sigmoid, t.Sigmoid(), dx),
            (DeviceUnaryOp.Tanh, t.Tanh(), dx), (DeviceUnaryOp.Abs, t.Abs(), dx),
            (DeviceUnaryOp.Log, pos.Transpose(0, 1).Log(), dpos), (DeviceUnaryOp.Sqrt, pos.Transpose(0, 1).Sqrt(), dpos),
        })
        {
            GpuElementwise.Unary(gpu, op, [6, 4], src.View, [1, 6], 0, dout.View);
            GpuTest.CloseEach(reference.Contiguous().ToArray(), dout.GetAsArray1D(), $"{device} {op}", 2e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void ReluBackward_AndStridedCopies_MatchTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var g = new Generator(8);
        var x = Tensor.Randn([3, 4, 5], g).RequiresGrad_();
        var r = Tensor.Randn([3, 4, 5], g);
        var expected = Autograd.Grad([(x.Relu() * r).Sum()], [x])[0]!;
        using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
        using var dr = gpu.Accelerator.Allocate1D(r.ToArray());
        using var dout = gpu.Accelerator.Allocate1D<float>(60);
        long[] c3 = GpuElementwise.ContiguousStrides([3, 4, 5]);
        GpuElementwise.Binary(gpu, DeviceBinaryOp.ReluBackward, [3, 4, 5], dr.View, c3, 0, dx.View, c3, 0, dout.View);
        GpuTest.CloseEach(expected.ToArray(), dout.GetAsArray1D(), $"{device} relu backward", 2e-6f);

        // A permuted view made contiguous.
        var p = x.Detach().Permute(2, 0, 1);   // (5, 3, 4), strides (1, 20, 5)
        GpuElementwise.Copy(gpu, [5, 3, 4], dx.View, [1, 20, 5], 0, dout.View, GpuElementwise.ContiguousStrides([5, 3, 4]), 0);
        GpuTest.CloseEach(p.Contiguous().ToArray(), dout.GetAsArray1D(), $"{device} contiguous copy", 2e-6f);

        // ResNet's option-A shortcut: subsample by 2 and zero-pad the channels (16 → 32: 8 on each side).
        var img = Tensor.Randn([2, 16, 8, 8], g);
        var shortcut = img.Slice(2, 0, null, 2).Slice(3, 0, null, 2).Pad([0, 0, 0, 0, 8, 8]);
        using var dimg = gpu.Accelerator.Allocate1D(img.ToArray());
        using var dshort = gpu.Accelerator.Allocate1D<float>(2 * 32 * 4 * 4);
        dshort.MemSetToZero();
        GpuElementwise.Copy(gpu, [2, 16, 4, 4], dimg.View, [16 * 64, 64, 16, 2], 0, dshort.View, [32 * 16, 16, 4, 1], 8 * 16);
        GpuTest.CloseEach(shortcut.ToArray(), dshort.GetAsArray1D(), $"{device} option-A shortcut", 2e-6f);
    }

    [Fact]
    public void BadShapesAndViews_AreRefusedWithTheReason()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(6);
        var e = Assert.Throws<ArgumentException>(() => GpuElementwise.Unary(gpu, DeviceUnaryOp.Neg, [1, 1, 1, 1, 1, 1, 6], d.View, new long[7], 0, d.View));
        Assert.Contains("at most 6", e.Message);
        e = Assert.Throws<ArgumentException>(() => GpuElementwise.Unary(gpu, DeviceUnaryOp.Neg, [2, 3], d.View, [3], 0, d.View));
        Assert.Contains("1 strides for a shape of 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => GpuElementwise.Unary(gpu, DeviceUnaryOp.Neg, [2, 3], d.View, [4, 1], 0, d.View));
        Assert.Contains("reach element 6", e.Message);
        e = Assert.Throws<ArgumentException>(() => GpuElementwise.Binary(gpu, DeviceBinaryOp.Add, [2, 4], d.View, [0, 1], 0, d.View, [0, 1], 0, d.View));
        Assert.Contains("the shape needs 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => GpuElementwise.Copy(gpu, [2, 3], d.View, [3, 1], 0, d.View, [0, 1], 0));
        Assert.Contains("several times", e.Message);
    }
}
