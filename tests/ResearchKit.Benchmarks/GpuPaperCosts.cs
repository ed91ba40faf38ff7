using System.Diagnostics;
using System.Globalization;
using ResearchKit.Defenses;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Experiments.Chapter6;
using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Experiments.RobustQuantization;
using ResearchKit.Gpu;
using ResearchKit.Models;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>gpu-paper-costs [--device NAME|cpu] [--steps 5] [--warmup 2] [--batch N]</c>: what each device recipe's <c>paper</c>
/// preset costs on this GPU (or, with <c>--device cpu</c>, on this CPU). Each recipe's paper settings and network come from the recipe itself (batch, epochs, model,
/// adversarial steps); one training step (forward, backward, optimizer) on random inputs of the real shapes is timed on
/// the device and multiplied by the preset's number of steps (epochs × full batches of the training set's size). An
/// estimate: it leaves out data loading, evaluation and checkpoints. <c>--batch</c> overrides every batch (to check the
/// command on ILGPU's CPU accelerator, where paper batches take too long).
/// </summary>
internal static class GpuPaperCosts
{
    // Training-set sizes of the paper presets' datasets (CIFAR-10/100 train split; WikiText-2's train tokens and vocabulary).
    private const int CifarTrain = 50_000, WikiText2TrainTokens = 2_088_628, WikiText2Vocab = 33_278;

    private sealed record Entry(string Recipe, string Stage, string Model, int Batch, long Steps, Func<Device, int, Action> Setup);

    private static List<Entry> Entries()
    {
        var options = new RecipeOptions();
        var list = new List<Entry>();

        var dl = new DlQatRecipe().Training(Preset.Paper, options);
        long dlSteps = (long)dl.Epochs * (CifarTrain / dl.BatchSize);
        list.Add(new("dlqat", "Training I (float, Eq. 5.2 clamp)", "ResNet-18", dl.BatchSize, dlSteps, (d, b) => QatStep(d, b, dl, quantized: false)));
        list.Add(new("dlqat", $"Training II (W{dl.WeightBits}/A{dl.ActivationBits})", "ResNet-18", dl.BatchSize, dlSteps, (d, b) => QatStep(d, b, dl, quantized: true)));

        var ada = new AdaQatRecipe().Training(Preset.Paper, options);
        list.Add(new("adaqat", $"{ada.Scenario} {ada.Granularity}, probes incl.", "ResNet-18",
            ada.Qat.BatchSize, ada.Steps ?? (long)ada.Epochs * (CifarTrain / ada.Qat.BatchSize), (d, b) => AdaQatStep(d, b, ada)));

        foreach (var loss in new[] { QatLoss.CrossEntropy, QatLoss.Mmc })
        {
            var appa = new QuantizedRobustnessRecipe(loss).Training(Preset.Paper, options);
            long appaSteps = (long)appa.Epochs * (CifarTrain / appa.BatchSize);
            string model = $"ResNet-{Chapter6Network.PaperDepth} v2, {Chapter6Network.Classes(appa.Dataset)} classes";
            list.Add(new("appa-dlqat", $"{loss} Training I (float)", model, appa.BatchSize, appaSteps, (d, b) => EhdStep(d, b, appa)));
            list.Add(new("appa-dlqat", $"{loss} Training II (W{appa.WeightBits}/A{appa.ActivationBits})", model, appa.BatchSize, appaSteps, (d, b) => AppaQuantStep(d, b, appa)));
        }

        var ehd = new EhdMemberRecipe().Training(Preset.Paper, options);
        list.Add(new("ehd-member", "one member of five", $"ResNet-{Chapter6Network.PaperDepth} v2, {Chapter6Network.Classes(ehd.Dataset)} classes",
            ehd.BatchSize, (long)ehd.Epochs * (CifarTrain / ehd.BatchSize), (d, b) => EhdStep(d, b, ehd)));

        foreach (var objective in new[] { TrainingObjective.Madry, TrainingObjective.TradeOff })
        {
            var br = new RobustEnResNetRecipe(objective).Training(Preset.Paper, options);
            list.Add(new("br-enresnet", $"{objective}, PGD-{br.AttackSteps} per step (float)", $"EnResNet{br.Depth} × {br.Members}",
                br.BatchSize, (long)br.Epochs * ((br.TrainImages ?? CifarTrain) / br.BatchSize), (d, b) => EnResNetStep(d, b, br)));
        }

        var seq = new SeqMnistLstmRecipe().Training(Preset.Paper, options);
        list.Add(new("seqmnist-lstm", "784 steps per sequence", "LSTM 1×128", seq.BatchSize, seq.Iterations, (d, b) => SeqMnistStep(d, b, seq)));

        var lm = WikiText2LstmRecipe.Training(Preset.Paper, options);
        long lmSteps = (long)(lm.Epochs ?? 1) * (WikiText2TrainTokens / ((long)lm.BatchSize * lm.Bptt));
        list.Add(new("wikitext2-lstm", $"bptt {lm.Bptt}, {lm.Epochs} epochs", "Medium LSTM LM (650×2, tied)", lm.BatchSize, lmSteps, (d, b) => LmStep(d, b, lm)));
        return list;
    }

    public static int Run(TextWriter o, IReadOnlyList<string> args)
    {
        var a = new BenchArgs("gpu-paper-costs", args, "--device NAME, --steps N, --warmup N, --batch N", "--device", "--steps", "--warmup", "--batch");
        int steps = a.Int("--steps") ?? 5, warmup = a.Int("--warmup", min: 0) ?? 2;
        int? batch = a.Int("--batch");
        string? deviceName = a.Text("--device");
        if (deviceName is null)
        {
            if (GpuDevice.CudaDeviceCount() == 0)
            {
                o.WriteLine("gpu-paper-costs: no CUDA device here (pass --device cpu-accelerator --batch 2 to check the command on ILGPU's CPU accelerator).");
                return 0;
            }
            deviceName = "cuda:0";
        }
        // --device cpu times the CPU engine instead (Parallelism.Threads threads): the same estimate for a CPU run.
        var device = deviceName == "cpu" ? Device.Cpu : GpuBackend.Register(Device.Parse(deviceName)).Device;
        Action synchronize = device.IsCpu ? () => { } : DeviceBackends.For(device).Synchronize;
        o.WriteLine($"gpu-paper-costs on {(device.IsCpu ? $"the CPU ({Tensors.Kernels.Parallelism.Threads} threads)" : device.ToString())}: one training step of each paper preset, mean of {steps} after {warmup}, times the preset's steps (no loading, evaluation or checkpoints)");
        o.WriteLine($"  {"recipe",-15} {"stage",-36} {"model",-34} {"batch",6} {"steps",9} {"ms/step",9} {"hours",8}");
        foreach (var e in Entries())
        {
            int b = batch ?? e.Batch;
            double ms;
            try
            {
                var step = e.Setup(device, b);
                for (int i = 0; i < warmup; i++) step();
                synchronize();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++) step();
                synchronize();
                ms = sw.Elapsed.TotalMilliseconds / steps;
            }
            catch (Exception ex)
            {
                var root = ex.GetBaseException();
                o.WriteLine($"  {e.Recipe,-15} {e.Stage,-36} FAILED: {root.GetType().Name}: {root.Message.Split('\n')[0]}");
                continue;
            }
            string hours = batch is null ? (ms * e.Steps / 3.6e6).ToString("F1", CultureInfo.InvariantCulture) : "-";
            o.WriteLine($"  {e.Recipe,-15} {e.Stage,-36} {e.Model,-34} {b,6} {e.Steps,9} {ms,9:F1} {hours,8}");
        }
        return 0;
    }

    // One SGD step of a QatNetwork's head loss on random CIFAR-shaped inputs.
    private static Action Step(QatNetwork net, Device d, int b, int channels, int classes, double lr, double momentum, double wd)
    {
        net.To(d);
        var opt = new Sgd(net.Parameters(), lr: lr, momentum: momentum, weightDecay: wd);
        var g = new Generator(1);
        var x = Tensor.Rand([b, channels, 32, 32], g, d);
        var y = Tensor.Randint(0, classes, [b], g).To(d);
        return () =>
        {
            opt.ZeroGrad();
            net.Loss(x, y).Backward();
            opt.Step();
        };
    }

    private static Action QatStep(Device d, int b, QatTraining t, bool quantized)
    {
        var net = DlQatRecipe.Network(Preset.Paper, t, 0);
        TwoStageQat.ApplyClamp(net, t);
        if (quantized) { TwoStageQat.RemoveClamp(net); TwoStageQat.Quantize(net, t); }
        return Step(net, d, b, Chapter6Network.Channels(t.Dataset), Chapter6Network.Classes(t.Dataset), t.Lr, t.Momentum, t.WeightDecay);
    }

    // Training II of App. A: the chapter-6 network quantized at W/A (DoReFa, PACT), one SGD step.
    private static Action AppaQuantStep(Device d, int b, QatTraining t)
    {
        var net = Chapter6Network.Build(Preset.Paper, t, 0);
        TwoStageQat.Quantize(net, t);
        return Step(net, d, b, Chapter6Network.Channels(t.Dataset), Chapter6Network.Classes(t.Dataset), t.Lr, t.Momentum, t.WeightDecay);
    }

    // One AdaQAT step: the bit-width probes' extra no-grad forwards, the forward, backward and SGD step (widths not updated).
    private static Action AdaQatStep(Device d, int b, AdaQatTraining t)
    {
        var (net, model) = AdaQatRecipe.Build(Preset.Paper, t, 0, start: null);
        var driver = new AdaQatCallback(model, net, (logits, y) => F.CrossEntropy(logits, y));
        net.To(d);
        var stage = t.StageSettings;
        var opt = new Sgd(net.Parameters(), lr: stage.Lr, momentum: stage.Momentum, weightDecay: stage.WeightDecay);
        var g = new Generator(1);
        var x = Tensor.Rand([b, Chapter6Network.Channels(t.Qat.Dataset), 32, 32], g, d);
        var y = Tensor.Randint(0, Chapter6Network.Classes(t.Qat.Dataset), [b], g).To(d);
        return () =>
        {
            opt.ZeroGrad();
            driver.Forward(x, y).Loss.Backward();
            opt.Step();
        };
    }

    private static Action EhdStep(Device d, int b, QatTraining t) =>
        Step(Chapter6Network.Build(Preset.Paper, t, 0), d, b, Chapter6Network.Channels(t.Dataset), Chapter6Network.Classes(t.Dataset), t.Lr, t.Momentum, t.WeightDecay);

    private static Action EnResNetStep(Device d, int b, EnResNetTraining t)
    {
        var net = RobustEnResNetRecipe.Build(t, 0);
        net.To(d);
        var at = new AdversarialTraining(net, RobustEnResNetRecipe.AdversarialOptions(t, 0));
        var opt = new Sgd(net.Parameters(), lr: t.Lr, momentum: t.Momentum, weightDecay: t.WeightDecay, nesterov: t.Nesterov);
        var g = new Generator(1);
        var x = Tensor.Rand([b, Chapter6Network.Channels(t.Dataset), 32, 32], g, d);
        var y = Tensor.Randint(0, Chapter6Network.Classes(t.Dataset), [b], g).To(d);
        return () =>
        {
            opt.ZeroGrad();
            at.ForwardLoss(x, y).Loss.Backward();
            opt.Step();
        };
    }

    private static Action SeqMnistStep(Device d, int b, SeqMnistTraining t)
    {
        var model = new SeqMnistLstm(generator: new Generator(0));
        model.To(d);
        var opt = new RmsProp(model.Parameters(), lr: t.Lr, alpha: t.Alpha, eps: t.Eps);
        var g = new Generator(1);
        var x = Tensor.Randn([b, 784, 1], g, d);
        var y = Tensor.Randint(0, 10, [b], g).To(d);
        return () =>
        {
            opt.ZeroGrad();
            F.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        };
    }

    private static Action LmStep(Device d, int b, LmTraining t)
    {
        var model = WikiText2LstmRecipe.Model(Preset.Paper, WikiText2Vocab, 0);
        model.To(d);
        var opt = new Adam(model.Parameters(), lr: t.Lr);
        var g = new Generator(1);
        var x = Tensor.Randint(0, WikiText2Vocab, [b, t.Bptt], g).To(d);
        var y = Tensor.Randint(0, WikiText2Vocab, [b, t.Bptt], g).To(d);
        return () =>
        {
            opt.ZeroGrad();
            var (logits, _) = model.Forward(x, null);
            F.CrossEntropy(logits.Reshape(-1, WikiText2Vocab), y.Reshape(-1)).Backward();
            if (t.ClipGradNorm is double c) ClipGrad.ClipGradNorm_(model.Parameters(), c);
            opt.Step();
        };
    }
}
