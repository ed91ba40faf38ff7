using ResearchKit.Attacks;
using ResearchKit.Models;
using ResearchKit.Quantization.Export;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Benchmarks;

/// <summary>One benchmark workload: an untimed setup that returns the step to time, and what one step processes.</summary>
/// <param name="Id">Short name, shared with <c>torch/bench.py</c> (the PyTorch side is matched by it).</param>
/// <param name="Description">What one step is, for the table's legend.</param>
/// <param name="Unit">Throughput unit (GFLOP/s, img/s, seq/s, tok/s).</param>
/// <param name="WorkPerStep">Units of work per step (GFLOP, images, sequences, tokens).</param>
/// <param name="Setup">Builds the model and data (untimed) and returns one step.</param>
internal sealed record Workload(string Id, string Description, string Unit, double WorkPerStep, Func<Action> Setup);

/// <summary>
/// The side-by-side workloads, all through the public API (except <c>sgemm-kernel</c>, the raw kernel on purpose).
/// Each mirrors a function of the same name in <c>torch/bench.py</c>: same shapes, same step, same optimizer.
/// </summary>
internal static class Workloads
{
    private const int LmVocab = 10_000, LmBatch = 20, LmBptt = 35;

    /// <summary>All workloads in table order.</summary>
    public static IReadOnlyList<Workload> All { get; } =
    [
        new("sgemm-matmul", "Tensor.Matmul 1024x1024 @ 1024x1024 (allocates the result) + CachingAllocator.Collect(), the safe point of a loop of bare ops", "GFLOP/s", 2.0 * 1024 * 1024 * 1024 / 1e9, SgemmMatmul),
        new("sgemm-kernel", "Gemm.Sgemm 1024^3 into a preallocated C (torch.mm(out=))", "GFLOP/s", 2.0 * 1024 * 1024 * 1024 / 1e9, SgemmKernel),
        new("resnet20-train", "ResNet-20 train step b=128: CE + backward + SGD(0.1, momentum 0.9, wd 1e-4)", "img/s", 128, () => ResNetTrain(20)),
        new("resnet20-qat-train", "resnet20-train with W2/A2 fake quantization (DoReFa weights, PACT activations, residual adds at 2 bits, first/last 8 bits; ch. 5)", "img/s", 128, () => ResNetTrain(20, QuantSpec.DoReFaPact(2, 2))),
        new("resnet20-pgd-step", "One PGD step on ResNet-20 b=128 via ResearchKit.Attacks.Pgd(steps 1): eval, parameters frozen, forward + dCE/dx only, sign step, projection (ch. 6 / App. A)", "img/s", 128, () => ResNetPgdStep()),
        new("resnet20-infer", "ResNet-20 inference b=256, eval, NoGrad", "img/s", 256, () => ResNetInfer(20)),
        new("resnet20-infer-folded", "resnet20-infer with every batch norm folded into its convolution (Fusion.FoldBatchNorms; PyTorch: fuse_conv_bn_eval)", "img/s", 256, () => ResNetInfer(20, fold: true)),
        new("resnet20-infer-fused", "resnet20-infer with conv+bn+relu (and the residual add) fused (Fusion.FuseConvBnRelu; PyTorch: torch.jit.freeze + optimize_for_inference, its oneDNN fusion)", "img/s", 256, () => ResNetInfer(20, fuse: true)),
        new("resnet20-infer-int8", "ResNet-20 int8 inference b=256: W8/A8 (DoReFa weights, PACT activations) exported and run by Int8ResNetPipeline (int8 vpdpbusd tiles, NHWC codes between layers); PyTorch: FX post-training static quantization on its x86 engine (onednn here; conv+bn+relu fused, quantized add_relu)", "img/s", 256, () => ResNetInferInt8()),
        new("resnet32-train", "ResNet-32 train step b=128, as resnet20-train", "img/s", 128, () => ResNetTrain(32)),
        new("resnet32-infer", "ResNet-32 inference b=256, eval, NoGrad", "img/s", 256, () => ResNetInfer(32)),
        new("lstm-seqmnist", "seq-MNIST step: Lstm(1,128,batch_first)+Linear(128,10) on h_n, CE, SGD(0.01); B=100, T=784", "seq/s", 100, () => LstmSeqMnist()),
        new("lstm-lm-medium", $"Medium LSTM LM step (650x2, tied, dropout 0.4, train): V={LmVocab}, B={LmBatch}, bptt={LmBptt}, CE, clip 0.25, Adam(1e-3)", "tok/s", LmBatch * LmBptt, LstmLmMedium),
        new("pgd-resnet20", "PGD step on ResNet-20 (eval) b=128: dCE/dx via Autograd.Grad, sign step, eps-ball projection", "img/s", 128, PgdResNet20),
    ];

    private static Action SgemmMatmul()
    {
        var gen = new Generator(0);
        var a = Tensor.Uniform([1024, 1024], -0.5f, 0.5f, gen);
        var b = Tensor.Uniform([1024, 1024], -0.5f, 0.5f, gen);
        return () =>
        {
            a.Matmul(b);
            // No module, backward or optimizer step here to return the result's storage to the pool: a loop of bare ops says when.
            CachingAllocator.Collect();
        };
    }

    private static Action SgemmKernel()
    {
        const int n = 1024;
        var rng = new Random(42);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)(rng.NextDouble() - 0.5); b[i] = (float)(rng.NextDouble() - 0.5); }
        return () => Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
    }

    // The workloads' setups take a device (null: the CPU) and a batch, so gpu-side-by-side runs these same definitions.
    internal static Action ResNetTrain(int depth, QuantSpec? quantization = null, Device? device = null, int batch = 128)
    {
        var gen = new Generator(0);
        var model = new ResNetCifar(depth, generator: gen);
        if (quantization is not null) ModelQuantizer.Quantize(model, quantization);
        model.Train();
        var opt = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4);
        if (device is Device d) model.To(d);
        var x = Tensor.Randn([batch, 3, 32, 32], gen, device);
        var y = Tensor.Randint(0, 10, [batch], gen, device);
        return () =>
        {
            opt.ZeroGrad();
            F.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        };
    }

    internal static Action ResNetPgdStep(Device? device = null, int batch = 128)
    {
        var gen = new Generator(0);
        var model = new ResNetCifar(20, generator: gen);
        if (device is Device d) model.To(d);
        var x = Tensor.Uniform([batch, 3, 32, 32], 0f, 1f, gen, device);
        var y = Tensor.Randint(0, 10, [batch], gen, device);
        // The attack puts the model in eval mode and sets RequiresGrad = false on every parameter for the step, so the
        // backward pass computes the input gradient only (no weight gradients), then restores both.
        var pgd = new Pgd(model, ThreatModel.Thesis, steps: 1, stepSize: 2f / 255);
        return () => pgd.Perturb(x, y);
    }

    internal static Action ResNetInfer(int depth, bool fold = false, Device? device = null, int batch = 256, bool fuse = false)
    {
        var gen = new Generator(0);
        var model = new ResNetCifar(depth, generator: gen);
        model.Eval();
        if (fold) Fusion.FoldBatchNorms(model, model.ConvBnPairs());
        if (fuse) Fusion.FuseConvBnRelu(model, model.InferenceFusions());
        if (device is Device d) model.To(d);
        var x = Tensor.Randn([batch, 3, 32, 32], gen, device);
        return () =>
        {
            using (Torch.NoGrad()) model.Forward(x);
        };
    }

    internal static Action ResNetInferInt8()
    {
        var x = Tensor.Randn([256, 3, 32, 32], new Generator(0));
        var pipeline = Int8ResNetPipeline.Create(IntBench.IntegerModel(IntBench.W8A8, x));
        return () =>
        {
            using (Torch.NoGrad()) pipeline.Forward(x);
        };
    }

    internal static Action LstmSeqMnist(Device? device = null, int batch = 100, int pixelsPerStep = 1)
    {
        var gen = new Generator(1);
        var model = new SeqMnistLstm(generator: gen, pixelsPerStep: pixelsPerStep);
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        if (device is Device d) model.To(d);
        var x = Tensor.Rand([batch, 784 / pixelsPerStep, pixelsPerStep], gen, device); // pixel intensities in [0, 1)
        var y = Tensor.Randint(0, 10, [batch], gen, device);
        return () =>
        {
            opt.ZeroGrad();
            F.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        };
    }

    private static Action LstmLmMedium()
    {
        var gen = new Generator(2);
        var model = new MediumLstmLm(LmVocab, generator: gen);
        model.Train();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randint(0, LmVocab, [LmBptt, LmBatch], gen);
        var y = Tensor.Randint(0, LmVocab, [LmBptt, LmBatch], gen);
        (Tensor H, Tensor C)? hidden = null;
        return () =>
        {
            opt.ZeroGrad();
            var (logits, h) = model.Forward(x, hidden);
            hidden = MediumLstmLm.Detach(h); // repackage_hidden: truncated BPTT, as the recipe
            F.CrossEntropy(logits.Reshape(-1, LmVocab), y.Reshape(-1)).Backward();
            ClipGrad.ClipGradNorm_(model.Parameters(), 0.25);
            opt.Step();
        };
    }

    private static Action PgdResNet20()
    {
        var gen = new Generator(0);
        var model = new ResNetCifar(20, generator: gen);
        model.Eval();
        var x0 = Tensor.Uniform([128, 3, 32, 32], 0f, 1f, gen);
        var y = Tensor.Randint(0, 10, [128], gen);
        const float eps = 8f / 255, alpha = 2f / 255;
        var xAdv = x0.Clone();
        return () =>
        {
            var x = xAdv.Detach().RequiresGrad_();
            var g = Autograd.Grad(F.CrossEntropy(model.Forward(x), y), x);
            using (Torch.NoGrad())
            {
                xAdv.Add_(g.Sign() * alpha);
                xAdv.CopyFrom(Tensor.Minimum(Tensor.Maximum(xAdv, x0 - eps), x0 + eps).Clamp(0f, 1f));
            }
        };
    }
}
