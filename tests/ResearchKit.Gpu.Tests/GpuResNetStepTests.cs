using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// A whole CIFAR ResNet training step composed from the GPU kernels (convolutions, batch norm in training mode, ReLU, the
/// option-A shortcut, global average pooling, the linear head, cross-entropy, and their backwards, then SGD) against the CPU
/// engine's <see cref="ResNetCifar"/> step: same loss, same updated parameters and running statistics. Until tensors carry a
/// device (issue 18), this is the end-to-end check that the kernels compose into the engine's training step.
/// </summary>
public class GpuResNetStepTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void OneTrainingStep_ComposedFromTheKernels_MatchesTheCpuEngine(string device)
    {
        const int depth = 20, batch = 2, hw = 8;   // small images: the CPU accelerator's time goes to launches and barriers
        const float lr = 0.1f;
        var model = new ResNetCifar(depth, generator: new Generator(3));
        model.Train();
        var x = Tensor.Randn([batch, 3, hw, hw], new Generator(4));
        var y = Tensor.FromArray(new long[] { 3, 7 }, batch);
        var start = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        var opt = new Sgd(model.Parameters(), lr: lr);
        opt.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), y);
        loss.Backward();
        opt.Step();
        var after = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

        using var gpu = GpuTest.Open(device);
        using var net = new ComposedResNet(gpu, start, depth);
        float gpuLoss = net.TrainStep(x.ToArray(), batch, hw, [3, 7], lr);

        Assert.True(Math.Abs(loss.Item() - gpuLoss) <= 1e-4f * (1 + Math.Abs(loss.Item())), $"{device}: loss {gpuLoss} vs engine {loss.Item()}");
        foreach (var (name, expected) in after)
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            var got = net.Read(name);
            float scale = expected.Max(MathF.Abs);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - got[i]) <= 2e-4f * (1 + scale), $"{device} {name}[{i}]: engine {expected[i]}, kernels {got[i]}");
        }
    }

    /// <summary>The ResNet's tensors on the device, and one training step written out kernel by kernel.</summary>
    private sealed class ComposedResNet(GpuDevice gpu, Dictionary<string, float[]> state, int depth) : IDisposable
    {
        private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> _p =
            state.Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                 .ToDictionary(kv => kv.Key, kv => gpu.Accelerator.Allocate1D(kv.Value));
        private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> _grad = [];
        private readonly List<IDisposable> _temps = [];

        public float[] Read(string name) => _p[name].GetAsArray1D();

        private ArrayView<float> New(long n)
        {
            var b = gpu.Accelerator.Allocate1D<float>(n);
            b.MemSetToZero();
            _temps.Add(b);
            return b.View;
        }

        private ArrayView<float> Grad(string name)
        {
            if (!_grad.TryGetValue(name, out var g)) { g = gpu.Accelerator.Allocate1D<float>(_p[name].Length); g.MemSetToZero(); _grad[name] = g; }
            return g.View;
        }

        private sealed record Saved(GpuConvGeometry Conv, ArrayView<float> Input, ArrayView<float> ConvOut, ArrayView<float> Mean, ArrayView<float> InvStd, ArrayView<float> BnOut);

        // conv (no bias) → batch norm (training) ; returns the batch norm's output and what the backward needs.
        private Saved ConvBn(string conv, string bn, ArrayView<float> input, GpuConvGeometry g)
        {
            var z = New(g.OutputLength);
            GpuConv2d.Forward(gpu, g, input, _p[conv + ".weight"].View, default, z);
            var o = New(g.OutputLength);
            var mean = New(g.OutC);
            var inv = New(g.OutC);
            GpuBatchNorm.ForwardTrain(gpu, z, g.N, g.OutC, g.OH * g.OW, _p[bn + ".weight"].View, _p[bn + ".bias"].View,
                _p[bn + ".running_mean"].View, _p[bn + ".running_var"].View, 0.1f, 1e-5f, o, mean, inv);
            return new Saved(g, input, z, mean, inv, o);
        }

        // Backward of ConvBn from the gradient of its output; returns the gradient of its input.
        private ArrayView<float> ConvBnBackward(string conv, string bn, Saved s, ArrayView<float> gOut)
        {
            var g = s.Conv;
            var gz = New(g.OutputLength);
            GpuBatchNorm.BackwardTrain(gpu, s.ConvOut, gOut, g.N, g.OutC, g.OH * g.OW, _p[bn + ".weight"].View, s.Mean, s.InvStd, gz, Grad(bn + ".weight"), Grad(bn + ".bias"));
            GpuConv2d.BackwardWeight(gpu, g, s.Input, gz, Grad(conv + ".weight"), default);
            var gx = New(g.InputLength);
            GpuConv2d.BackwardInput(gpu, g, gz, _p[conv + ".weight"].View, gx);
            return gx;
        }

        private ArrayView<float> Relu(ArrayView<float> v, int[] shape)
        {
            var o = New(v.Length);
            GpuElementwise.Unary(gpu, GpuUnaryOp.Relu, shape, v, GpuElementwise.ContiguousStrides(shape), 0, o);
            return o;
        }

        private ArrayView<float> ReluBackward(ArrayView<float> gOut, ArrayView<float> input, int[] shape)
        {
            var o = New(gOut.Length);
            var s = GpuElementwise.ContiguousStrides(shape);
            GpuElementwise.Binary(gpu, GpuBinaryOp.ReluBackward, shape, gOut, s, 0, input, s, 0, o);
            return o;
        }

        private ArrayView<float> Add(ArrayView<float> a, ArrayView<float> b, int[] shape)
        {
            var o = New(a.Length);
            var s = GpuElementwise.ContiguousStrides(shape);
            GpuElementwise.Binary(gpu, GpuBinaryOp.Add, shape, a, s, 0, b, s, 0, o);
            return o;
        }

        private sealed record Block(string Name, int InC, int OutC, int H, int Stride, Saved First, Saved Second, ArrayView<float> PreRelu, ArrayView<float> Input);

        public float TrainStep(float[] images, int n, int hw, int[] labels, float lr)
        {
            var x = New(images.Length);
            x.CopyFromCPU(images);
            var stem = ConvBn("conv1", "bn1", x, new GpuConvGeometry(n, 3, hw, hw, 16, 3, 3, PH: 1, PW: 1));
            var act = Relu(stem.BnOut, [n, 16, hw, hw]);
            var stemAct = act;
            var blocks = new List<Block>();
            int c = 16, h = hw, per = (depth - 2) / 6;
            for (int s = 0; s < 3; s++)
                for (int b = 0; b < per; b++)
                {
                    int outC = 16 << s, stride = b == 0 && s > 0 ? 2 : 1, oh = h / stride;
                    string name = $"layer{s + 1}.{b}";
                    var first = ConvBn(name + ".conv1", name + ".bn1", act, new GpuConvGeometry(n, c, h, h, outC, 3, 3, stride, stride, 1, 1));
                    var mid = Relu(first.BnOut, [n, outC, oh, oh]);
                    var second = ConvBn(name + ".conv2", name + ".bn2", mid, new GpuConvGeometry(n, outC, oh, oh, outC, 3, 3, PH: 1, PW: 1));
                    var shortcut = act;
                    if (stride != 1 || c != outC)
                    {
                        // Option A: x[:, :, ::2, ::2] into channels [pad, pad + c) of a zero tensor.
                        shortcut = New((long)n * outC * oh * oh);
                        GpuElementwise.Copy(gpu, [n, c, oh, oh], act, [(long)c * h * h, h * h, 2L * h, 2], 0,
                            shortcut, [(long)outC * oh * oh, oh * oh, oh, 1], (outC - c) / 2 * oh * oh);
                    }
                    var pre = Add(second.BnOut, shortcut, [n, outC, oh, oh]);
                    blocks.Add(new Block(name, c, outC, h, stride, first, second, pre, act));
                    act = Relu(pre, [n, outC, oh, oh]);
                    c = outC; h = oh;
                }
            var feat = New((long)n * c);
            GpuPool2d.AdaptiveAvgForward(gpu, n, c, h, h, 1, 1, act, feat);
            var logits = New((long)n * 10);
            for (int i = 0; i < n; i++)   // the bias, row by row
                _p["linear.bias"].View.CopyTo(logits.SubView(i * 10, 10));
            GpuGemm.Sgemm(gpu, false, true, n, 10, c, 1f, feat, c, _p["linear.weight"].View, c, 1f, logits, 10);
            using var dl = gpu.Accelerator.Allocate1D(labels);
            var lossRows = New(n);
            GpuRows.CrossEntropyRows(gpu, logits, n, 10, 10, dl.View, lossRows);
            float loss = ((ArrayView1D<float, Stride1D.Dense>)lossRows.SubView(0, n)).GetAsArray1D().Sum() / n;

            // Backward.
            var gLogits = New((long)n * 10);
            GpuRows.CrossEntropyBackward(gpu, logits, n, 10, 10, dl.View, 1f / n, gLogits);
            GpuGemm.Sgemm(gpu, true, false, 10, c, n, 1f, gLogits, 10, feat, c, 0f, Grad("linear.weight"), c);
            var ones = New(n);
            GpuElementwise.Unary(gpu, GpuUnaryOp.Exp, [n], New(n), [1], 0, ones);   // e^0 = 1
            GpuGemm.Sgemm(gpu, true, false, 10, 1, n, 1f, gLogits, 10, ones, 1, 0f, Grad("linear.bias"), 1);
            var gFeat = New((long)n * c);
            GpuGemm.Sgemm(gpu, false, false, n, c, 10, 1f, gLogits, 10, _p["linear.weight"].View, c, 0f, gFeat, c);
            var g = New((long)n * c * h * h);
            GpuPool2d.AdaptiveAvgBackward(gpu, n, c, h, h, 1, 1, gFeat, g);
            for (int i = blocks.Count - 1; i >= 0; i--)
            {
                var bl = blocks[i];
                int oh = bl.H / bl.Stride;
                int[] outShape = [n, bl.OutC, oh, oh];
                var gPre = ReluBackward(g, bl.PreRelu, outShape);
                var gMid = ConvBnBackward(bl.Name + ".conv2", bl.Name + ".bn2", bl.Second, gPre);
                var gMidPre = ReluBackward(gMid, bl.First.BnOut, outShape);
                var gIn = ConvBnBackward(bl.Name + ".conv1", bl.Name + ".bn1", bl.First, gMidPre);
                ArrayView<float> gShort = gPre;
                if (bl.Stride != 1 || bl.InC != bl.OutC)
                {
                    gShort = New((long)n * bl.InC * bl.H * bl.H);
                    GpuElementwise.Copy(gpu, [n, bl.InC, oh, oh], gPre, [(long)bl.OutC * oh * oh, oh * oh, oh, 1], (bl.OutC - bl.InC) / 2 * oh * oh,
                        gShort, [(long)bl.InC * bl.H * bl.H, bl.H * bl.H, 2L * bl.H, 2], 0);
                }
                g = Add(gIn, gShort, [n, bl.InC, bl.H, bl.H]);
            }
            var gStem = ReluBackward(g, stem.BnOut, [n, 16, hw, hw]);
            ConvBnBackward("conv1", "bn1", stem, gStem);
            _ = stemAct;

            // SGD.
            foreach (var (name, grad) in _grad)
                GpuOptim.SgdStep(gpu, _p[name].View, grad.View, default, lr);
            gpu.Accelerator.Synchronize();
            return loss;
        }

        public void Dispose()
        {
            foreach (var b in _p.Values) b.Dispose();
            foreach (var b in _grad.Values) b.Dispose();
            foreach (var t in _temps) t.Dispose();
        }
    }
}
