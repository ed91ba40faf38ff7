using ResearchKit.Quantization;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization.AdaQat;

/// <summary>Tiny networks and a toy task for the AdaQAT tests.</summary>
internal static class AdaQatTestNets
{
    /// <summary>4 → 16 → 16 → 3 MLP: two learned weight sites, one learned activation, a fixed 8-bit head and last ReLU.</summary>
    public static Sequential Mlp(int seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(4, 16, generator: g), new ReLU(), new Linear(16, 16, generator: g), new ReLU(), new Linear(16, 3, generator: g));
    }

    /// <summary>The batch x ~ N(0, 1)^(n×4) of seed <paramref name="seed"/>.</summary>
    public static Tensor Inputs(int seed, int n = 32) => Tensor.Randn([n, 4], new Generator(seed)) * 2f;

    /// <summary>The same MLP quantized with fixed widths by the kit's plain ModelQuantizer (an independent reference).</summary>
    public static Sequential FixedMlp(int seed, int weightBits, int activationBits)
    {
        var m = Mlp(seed);
        ModelQuantizer.Quantize(m, QuantSpec.DoReFaPact(weightBits, activationBits));
        return m;
    }

    /// <summary>
    /// Toy AdaQAT run: the student is the MLP, the targets are the outputs of the same MLP at 8/8 bits, so the loss (MSE)
    /// prefers more bits; <paramref name="steps"/> steps of SGD on full batches.
    /// </summary>
    public static AdaQatCallback Run(AdaQatOptions options, int steps, int seed = 1, double weightLr = 0.01)
    {
        Tensor target;
        var x = Inputs(seed + 100);
        using (Torch.NoGrad()) target = FixedMlp(seed, 8, 8).Forward(x);
        var net = Mlp(seed);
        var model = AdaQatModel.Convert(net, options);
        Func<Tensor, Tensor, Tensor> loss = (o, y) => F.MseLoss(o, y);
        var cb = new AdaQatCallback(model, net, loss);
        var trainer = new Trainer(net, new Sgd(net.Parameters(), lr: weightLr), cb.Forward, new TrainerOptions { MaxSteps = steps, Progress = new SilentProgressSink() });
        trainer.Callbacks.Add(cb);
        trainer.Fit((e, s) => Enumerable.Range(s, 1 - s).Select(_ => (x, target)), 1);
        return cb;
    }
}
