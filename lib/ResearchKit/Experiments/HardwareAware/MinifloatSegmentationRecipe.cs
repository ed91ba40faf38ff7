using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Minifloat;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Gernigon et al. 2023 (seed 003, third abstract; arXiv 2311.11172): QAT of a "Thin U-Net 32" with b-bit minifloat
/// against b-bit integer weights and activations, against float, on a binary segmentation task. One run is one
/// (format, b) cell; every quantized run fine-tunes the shared float run's weights (saved as that run's checkpoint).
/// Registered as "minifloat-unet" (6-bit minifloat). The seed reports, at 6 bits, 0.3 % accuracy lost by minifloat and
/// 0.5 % by integers on Airbus Ship Detection.
/// </summary>
/// <remarks>
/// <para><b>Data</b>: Airbus Ship Detection is not available here; the stand-in is <see cref="ForegroundSegmentation"/>
/// (mask = digit strokes, input = the digit on a 32×32 canvas with bright Gaussian blobs and noise) on <b>MNIST</b>
/// rather than Fashion-MNIST: a digit is a thin object covering a small share of the canvas among clutter, closer to ships
/// on sea than Fashion-MNIST's large filled garments. By default (<see cref="MinifloatSegmentationOptions.HardTask"/>, every
/// preset) the harder variant <see cref="ForegroundSegmentationOptions.Hard"/>: stronger noise and dim fragments of other
/// digits as distractors, so the float model's IoU stays clearly below 1 and the formats have room to differ (on the plain
/// task float is nearly perfect and the quantized cells could not be told apart). Still not ship segmentation; numbers are
/// not comparable.</para>
/// <para><b>Model</b>: <see cref="ThinUNet"/>; the paper's exact layout is not stated. Default
/// <see cref="UNetLayout.ConstantWidth"/>: Vaze et al. 2020's thin U-Net (32 channels at every level, nearest upsampling),
/// depth 4, batch norm; <see cref="UNetLayout.Doubling"/> (32…512, still nearest upsampling) as an option. With nearest
/// upsampling every learned layer is a Conv2d, which <see cref="ModelQuantizer"/> converts.</para>
/// <para><b>Quantization</b> (<see cref="Spec"/>): weights of every conv (including the 1×1 output conv) and every ReLU
/// output at b bits; with <see cref="FirstLastPrecision.SameAsBody"/> (default) also the first conv's weights and the ReLU
/// feeding the output conv, as the seed quantizes "both weights and activations"; <see cref="FirstLastPrecision.EightBit"/>
/// gives the kit's 8-bit first/last rule. The network input (a [0, 1] image) and the output logits (fed to the sigmoid of
/// the loss and to the 0 threshold of the metrics) stay float; biases and batch norms are float. Minifloat: the format of
/// <see cref="MinifloatSplits"/> (or an explicit one), round to nearest even, weights scaled per tensor by a power of two,
/// activations unscaled (<see cref="MinifloatSpecs"/>) and, by default (<see cref="MinifloatSegmentationOptions.UnsignedActivations"/>),
/// unsigned: every activation site is a ReLU output, so b bits go to exponent and mantissa (<see cref="MinifloatSplits.DefaultUnsigned"/>,
/// E3M(b−3)), as PACT's integers use all 2^b codes for non-negative values. Integer: DoReFa weights + PACT activations, or
/// LSQ. PACT's α starts, by default (<see cref="MinifloatSegmentationOptions.CalibrateClip"/>, our choice), at the 99.9th
/// percentile of each site's float activations on the fine-tuning's first batch (<see cref="ActivationClipCalibration"/>)
/// rather than at 10, which the short fine-tuning hardly moves. The minifloat activations have no scale (the format's own
/// range, 2^−(M+2) to about 31, covers the post-ReLU data), so this statistic has nothing to set there.</para>
/// <para><b>Training</b>: float run with Adam (cosine to 0), then for each cell a QAT fine-tuning from its weights with Adam
/// at a tenth of the lr; loss BCE + Dice (or BCE). Seeds: the float run uses the run options' seed and is shared; a cell's
/// <see cref="MinifloatSegmentationOptions.QatSeed"/> (default: the run options' seed) sets the fine-tuning's batch order, its
/// only randomness, so the spread over QAT seeds (<see cref="QuickSeeds"/>) is that of the fine-tuning given one float model.
/// Test metrics: pixel accuracy (our reading of the seed's "accuracy"), IoU and Dice (micro-averaged,
/// <see cref="SegmentationMetrics"/>); the notebook computes the deltas against float and mean ± std over the seeds.</para>
/// <para><b>Presets</b>: smoke: the committed 1,000 MNIST images (800 train / 200 test), a width-8, depth-2 U-Net, a few
/// steps. quick: the first <see cref="QuickTrainImages"/> MNIST training and <see cref="QuickTestImages"/> test images,
/// <see cref="QuickFloatSteps"/> float steps, <see cref="QuickQatSteps"/> QAT steps, batch 32. paper: all of MNIST, 20 float
/// epochs, 5 QAT epochs (the seed's schedule is not stated).</para>
/// </remarks>
public sealed class MinifloatSegmentationRecipe : IRecipe
{
    /// <summary>Training images of the quick preset.</summary>
    public const int QuickTrainImages = 8000;
    /// <summary>Test images of the quick preset.</summary>
    public const int QuickTestImages = 1000;
    /// <summary>Steps of the float run at quick.</summary>
    public const long QuickFloatSteps = 1500;
    /// <summary>Steps of a QAT fine-tuning at quick.</summary>
    public const long QuickQatSteps = 300;
    /// <summary>QAT seeds of the quick grid (the notebook reports mean ± std over them): float + {minifloat, integer} × {4, 6, 8}
    /// × 3 seeds is sized for about 25 minutes on 2 cores.</summary>
    public static IReadOnlyList<long> QuickSeeds { get; } = [0, 1, 2];

    /// <summary>Creates the recipe of one (format, bits) cell.</summary>
    /// <param name="format">Float (then <paramref name="bits"/> must be 32), minifloat or integer.</param>
    /// <param name="bits">b, weights and activations: 2–16 (minifloat: the format's width; 4–8 with the default table), 32 for float.</param>
    /// <param name="settings">Settings changed from the preset's (null: none).</param>
    /// <exception cref="ArgumentException">Bits out of range or not matching the format, or an unknown enum value.</exception>
    public MinifloatSegmentationRecipe(NumberFormat format = NumberFormat.Minifloat, int bits = 6, MinifloatSegmentationOptions? settings = null)
    {
        settings ??= new MinifloatSegmentationOptions();
        if (!Enum.IsDefined(format)) throw new ArgumentException($"MinifloatSegmentationRecipe: unknown format {format}; use Float, Minifloat or Integer.", nameof(format));
        if (!Enum.IsDefined(settings.FirstLast) || !Enum.IsDefined(settings.Integer) || !Enum.IsDefined(settings.Loss) || (settings.Layout is { } l && !Enum.IsDefined(l)))
            throw new ArgumentException("MinifloatSegmentationRecipe: a setting holds an unknown enum value; use the members of FirstLastPrecision, IntegerQuantizers, SegmentationLossKind and UNetLayout.", nameof(settings));
        if (format == NumberFormat.Float && bits != QuantSpec.Float)
            throw new ArgumentException($"MinifloatSegmentationRecipe: a float run has {QuantSpec.Float} bits, got {bits}; pass bits: 32, or choose Minifloat or Integer.", nameof(bits));
        if (format != NumberFormat.Float && bits is < 2 or > 16)
            throw new ArgumentException($"MinifloatSegmentationRecipe: bits = {bits}; a quantized run takes 2 to 16 bits (the seed compares 4 to 8).", nameof(bits));
        if (format == NumberFormat.Minifloat)
        {
            var f = settings.Minifloat ?? MinifloatSplits.Default(bits);
            if (f.BitWidth != bits)
                throw new ArgumentException($"MinifloatSegmentationRecipe: the minifloat {f.Name} has {f.BitWidth} bits, not {bits}; pass a {bits}-bit format or bits: {f.BitWidth}.", nameof(settings));
            Minifloat = f;
            if (settings.UnsignedActivations)
            {
                var a = settings.ActivationMinifloat ?? MinifloatSplits.DefaultUnsigned(bits);
                if (a.BitWidth != bits + 1)
                    throw new ArgumentException($"MinifloatSegmentationRecipe: the unsigned activation minifloat {a.Name} stores {a.BitWidth - 1} bits (sign dropped), not {bits}; pass a {bits + 1}-bit format.", nameof(settings));
                ActivationMinifloat = a;
            }
        }
        if (settings.ActivationMinifloat is not null && !(format == NumberFormat.Minifloat && settings.UnsignedActivations))
            throw new ArgumentException("MinifloatSegmentationRecipe: ActivationMinifloat applies only to minifloat runs with UnsignedActivations; remove it.", nameof(settings));
        Format = format; Bits = bits; Settings = settings;
    }

    /// <summary>Float, minifloat or integer.</summary>
    public NumberFormat Format { get; }
    /// <summary>b (32 for float).</summary>
    public int Bits { get; }
    /// <summary>The minifloat of a minifloat run (null otherwise).</summary>
    public MinifloatFormat? Minifloat { get; }
    /// <summary>The unsigned activation minifloat ((b+1)-bit format, sign bit not stored) of a minifloat run with unsigned activations (null otherwise).</summary>
    public MinifloatFormat? ActivationMinifloat { get; }
    /// <summary>Settings changed from the preset's.</summary>
    public MinifloatSegmentationOptions Settings { get; }
    /// <summary>True for the float run.</summary>
    public bool IsFloat => Format == NumberFormat.Float;

    /// <inheritdoc/>
    public string Name => "minifloat-unet";

    /// <inheritdoc/>
    public string Description => "Gernigon et al. 2023: Thin U-Net 32 QAT, b-bit minifloat vs b-bit integer weights and activations vs float, foreground segmentation (stand-in for Airbus Ship)";

    /// <summary>The float run these settings fine-tune from.</summary>
    public MinifloatSegmentationRecipe FloatRecipe => IsFloat ? this : new MinifloatSegmentationRecipe(NumberFormat.Float, QuantSpec.Float, Settings);

    /// <summary>What the seed (its abstract is all that is readable here) does not state, as chosen here (recorded in every config).</summary>
    public static IReadOnlyList<string> NotStated { get; } =
    [
        "data: Airbus Ship Detection is not available; MNIST foreground segmentation stands in (ForegroundSegmentation)",
        "Thin U-Net 32 layout: constant width 32 (Vaze et al. 2020), depth 4, nearest upsampling, batch norm",
        "'accuracy' of the abstract: read as pixel accuracy; IoU and Dice reported too",
        "minifloat exponent/mantissa split per width (MinifloatSplits; unsigned activations E3M(b-3)), rounding (nearest even), scaling (weights: power of two per tensor; activations: none)",
        "integer quantizers: DoReFa weights + PACT activations (the kit's), PACT alpha started at the 99.9th percentile of the float activations",
        "harder stand-in task (noise, digit-fragment distractors) sized by us so float IoU stays below 1; seeds (float shared, QAT per seed)",
        "which layers are quantized: every conv weight and ReLU output at b, first/last included; input image, logits, biases, batch norms float",
        "loss (BCE + Dice), optimizer (Adam), learning rates, schedule (cosine), steps, batch size",
        "QAT from a trained float model (fine-tuning) rather than from scratch",
    ];

    /// <summary>The settings of <paramref name="preset"/> for this cell.</summary>
    public SegmentationQatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = new SegmentationQatTraining
        {
            Loss = Settings.Loss,
            Format = Format, Bits = Bits, Minifloat = Minifloat,
            FirstLast = Settings.FirstLast, Integer = Settings.Integer,
            UnsignedActivations = Settings.UnsignedActivations, ActivationMinifloat = ActivationMinifloat,
            CalibrateClip = Settings.CalibrateClip,
            ClipPercentile = 99.9,                                  // not stated (our choice): a high percentile, robust to a few outliers
            QatSeed = Settings.QatSeed ?? options.Seed,
            HardTask = Settings.HardTask,
            Layout = Settings.Layout ?? UNetLayout.ConstantWidth,   // Vaze et al. 2020's thin U-Net (the seed's layout: not stated)
            FloatLr = 1e-3,                                         // not stated (our choice): Adam's default
            QatLr = 1e-4,                                           // not stated (our choice): a tenth for fine-tuning
            BatchSize = 32,                                         // not stated (our choice)
        };
        return preset switch
        {
            Preset.Smoke => t with
            {
                Dataset = "mnist-sample", TrainImages = 800, TestImages = 200, BaseWidth = 8, Depth = 2,
                FloatSteps = 6, QatSteps = 4, BatchSize = 16, EvalBatchSize = 200, LogEvery = 1,
            },
            Preset.Quick => t with
            {
                Dataset = "mnist", TrainImages = QuickTrainImages, TestImages = QuickTestImages,   // sized for the 7-run grid on 2 cores
                FloatSteps = QuickFloatSteps, QatSteps = QuickQatSteps, EvalBatchSize = 250, LogEvery = 20,
            },
            _ => t with
            {
                Dataset = "mnist", TrainImages = null, TestImages = null,
                FloatSteps = 20L * 60_000 / 32, QatSteps = 5L * 60_000 / 32,   // 20 and 5 epochs: not stated (our choice)
                EvalBatchSize = 500, LogEvery = 50,
            },
        };
    }

    /// <summary>The config of the shared float run: data, model, loss and float training, no quantization.</summary>
    public IReadOnlyDictionary<string, object?> FloatConfig(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["stage"] = "float (shared by every format and bit width; its weights are the run's checkpoint)",
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = DataName(t),
            ["data_task"] = t.HardTask
                ? HardTaskText(ForegroundSegmentationOptions.Hard())
                : "ForegroundSegmentation, stand-in for Airbus Ship Detection (not available here): mask = clean pixel > 0.5, input = digit centred on a 32x32 canvas + 3 Gaussian blobs (peak 0.4-1, sigma 1.5-4 px) + N(0, 0.15^2) noise, clamped to [0, 1]",
            ["data_source_choice"] = "MNIST, not Fashion-MNIST: thin digits covering a small share of the canvas among clutter resemble small ships on sea more than large filled garments",
            ["clutter_seeds"] = new Dictionary<string, object?> { ["train"] = t.TrainClutterSeed, ["test"] = t.TestClutterSeed },
            ["model"] = ModelName(t),
            ["model_note"] = "the seed's Thin U-Net 32 layout is not stated; constant width 32 = Vaze et al. 2020's thin U-Net (default), doubling = Ronneberger-style widths (option)",
            ["loss"] = t.Loss == SegmentationLossKind.BceDice ? "BCE with logits + soft Dice (weights 1, 1; smoothing 1)" : "BCE with logits",
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "adam", ["lr"] = t.FloatLr, ["schedule"] = "cosine to 0 over the run, per step" },
            ["batch_size"] = t.BatchSize,
            ["float_steps"] = t.FloatSteps,
            ["eval"] = "test pixel accuracy (the seed's 'accuracy', our reading), IoU, Dice (micro-averaged; logit > 0)",
            ["not_stated"] = NotStated,
        };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        if (IsFloat) return FloatConfig(preset, options);
        var t = Training(preset, options);
        return new Dictionary<string, object?>(FloatConfig(preset, options))
        {
            ["stage"] = "qat (fine-tuning from the shared float run's weights)",
            ["format"] = t.Format.ToString(),
            ["bits"] = t.Bits,
            ["quantizers"] = t.Format == NumberFormat.Minifloat
                ? t.UnsignedActivations
                    ? $"minifloat weights {t.Minifloat!} (power-of-two scale from max|w| per tensor), activations unsigned {t.ActivationMinifloat!} with the sign bit not stored ({t.Bits} bits; negatives clamp to 0; no scale); round to nearest even; straight-through gradient"
                    : $"minifloat {t.Minifloat!} (round to nearest even; weights: power-of-two scale from max|w| per tensor; activations: no scale, signed format; straight-through gradient)"
                : t.Integer == IntegerQuantizers.Lsq
                    ? "integer: LSQ weights (signed, per tensor) and unsigned LSQ activations, steps initialized from the weights and the first batch"
                    : t.CalibrateClip
                        ? $"integer: DoReFa weights (per tensor, round to nearest) and unsigned PACT activations (learned alpha, initialized per site at the {t.ClipPercentile}th percentile of the float model's activations on the fine-tuning's first batch; our choice)"
                        : "integer: DoReFa weights (per tensor, round to nearest) and unsigned PACT activations (learned alpha, initialized at 10)",
            ["qat_seed"] = t.QatSeed,
            ["first_last"] = t.FirstLast == FirstLastPrecision.SameAsBody
                ? $"b bits everywhere: first conv weights and the ReLU feeding the output conv at {t.Bits} bits (the seed: 'both weights and activations')"
                : $"kit rule (8 bits): first conv weights and the ReLU feeding the output conv at 8 bits ({(t.Format == NumberFormat.Minifloat ? t.UnsignedActivations ? "weights E4M3, activation unsigned E3M5" : "E4M3" : "8-bit integer")})",
            ["float_parts"] = "input image, output logits (to the sigmoid in the loss and the 0 threshold of the metrics), biases, batch norms",
            ["output_conv"] = "1x1 conv weights at b bits; its input is the last ReLU (b bits, or 8 under the kit rule); its logits float",
            ["qat_optimizer"] = new Dictionary<string, object?> { ["name"] = "adam", ["lr"] = t.QatLr, ["schedule"] = "cosine to 0 over the run, per step" },
            ["qat_steps"] = t.QatSteps,
            ["comparison_note"] = "a delta against the float run also contains the effect of the fine-tuning's extra steps (the float run is not trained further)",
        };
    }

    private static string HardTaskText(ForegroundSegmentationOptions o) => FormattableString.Invariant(
        $"ForegroundSegmentation (hard), stand-in for Airbus Ship Detection (not available here): mask = clean pixel > {o.Threshold}, input = digit centred on a {o.Size}x{o.Size} canvas + {o.Blobs} Gaussian blobs (peak {o.BlobAmplitudeMin}-{o.BlobAmplitudeMax}, sigma {o.BlobSigmaMin}-{o.BlobSigmaMax} px) + {o.Distractors} fragments ({o.DistractorPatch}x{o.DistractorPatch}) of other digits at contrast {o.DistractorContrastMin}-{o.DistractorContrastMax} + N(0, {o.NoiseStd}^2) noise, clamped to [0, 1]");

    private static string DataName(SegmentationQatTraining t)
    {
        string src = t.Dataset == "mnist-sample" ? "mnist-sample-1000 (800 train / 200 test)" : "mnist (60k train / 10k test)";
        string take = t.TrainImages is int n && t.Dataset != "mnist-sample" ? $"; first {n} training images" : "";
        string takeTest = t.TestImages is int m && t.Dataset != "mnist-sample" ? $", first {m} test images" : "";
        return src + take + takeTest;
    }

    private static string ModelName(SegmentationQatTraining t) =>
        $"ThinUNet: base width {t.BaseWidth}, {(t.Layout == UNetLayout.ConstantWidth ? "constant width" : "width doubling per level")}, depth {t.Depth}, nearest upsampling, batch norm, 1 input channel, 1 logit per pixel";

    /// <summary>The training and test sets of <paramref name="t"/> (the stand-in task built on MNIST images).</summary>
    /// <exception cref="DataNotFoundException">MNIST is not available (quick/paper).</exception>
    public static (SegmentationDataset Train, SegmentationDataset Test) Data(SegmentationQatTraining t, DataOptions? data = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        ImageDataset train, test;
        if (t.Dataset == "mnist-sample")
        {
            var sample = Samples.Mnist();
            train = sample.Subset(Enumerable.Range(0, 800).ToArray(), "MNIST sample (800 train)");
            test = sample.Subset(Enumerable.Range(800, 200).ToArray(), "MNIST sample (200 test)");
        }
        else
        {
            train = Datasets.Mnist(train: true, data);
            test = Datasets.Mnist(train: false, data);
        }
        if (t.TrainImages is int n) train = train.Take(n);
        if (t.TestImages is int m) test = test.Take(m);
        ForegroundSegmentationOptions Task(long seed) => t.HardTask ? ForegroundSegmentationOptions.Hard(seed) : new ForegroundSegmentationOptions(Seed: seed);
        return (ForegroundSegmentation.Build(train, Task(t.TrainClutterSeed)), ForegroundSegmentation.Build(test, Task(t.TestClutterSeed)));
    }

    /// <summary>The untrained float U-Net of <paramref name="t"/>, initialized from <paramref name="seed"/>.</summary>
    public static ThinUNet Build(SegmentationQatTraining t, long seed)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new ThinUNet(t.BaseWidth, t.Depth, inChannels: 1, numClasses: 1, doubleWidth: t.Layout == UNetLayout.Doubling,
            upsampling: UNetUpsampling.Nearest, batchNorm: true, generator: new Generator(seed));
    }

    /// <summary>The <see cref="QuantSpec"/> of a quantized run (see the remarks); for <see cref="ModelQuantizer.Quantize"/>.</summary>
    /// <exception cref="ArgumentException">A float run.</exception>
    public static QuantSpec Spec(SegmentationQatTraining t)
    {
        ArgumentNullException.ThrowIfNull(t);
        bool same = t.FirstLast == FirstLastPrecision.SameAsBody;
        switch (t.Format)
        {
            case NumberFormat.Minifloat:
                var f = t.Minifloat ?? MinifloatSplits.Default(t.Bits);
                if (!t.UnsignedActivations) return MinifloatSpecs.Create(f, f, same ? f : MinifloatFormat.E4M3);
                var a = t.ActivationMinifloat ?? MinifloatSplits.DefaultUnsigned(t.Bits);
                return MinifloatSpecs.Create(f, a, same ? f : MinifloatFormat.E4M3, unsignedActivations: true,
                    firstLastActivations: same ? a : MinifloatSplits.DefaultUnsigned(8));
            case NumberFormat.Integer:
                var spec = t.Integer == IntegerQuantizers.Lsq ? QuantSpec.Lsq(t.Bits, t.Bits) : QuantSpec.DoReFaPact(t.Bits, t.Bits);
                return spec with { FirstLastBits = same ? t.Bits : 8 };
            default:
                throw new ArgumentException("MinifloatSegmentationRecipe.Spec: a float run has no quantization spec.", nameof(t));
        }
    }

    /// <summary>The batch loss of <paramref name="t"/> (mean over the batch), on logits and masks.</summary>
    public static Func<Tensor, Tensor, Tensor> LossOf(SegmentationQatTraining t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Loss == SegmentationLossKind.Bce) return static (o, y) => F.BinaryCrossEntropyWithLogits(o, y);
        var loss = new BceDiceLoss();
        return loss.Forward;
    }

    /// <inheritdoc/>
    /// <remarks>Float: trains (resumable) and saves its weights as the run's checkpoint. Quantized: runs the float run first
    /// when the store has none, loads its weights, converts with <see cref="Spec"/> and fine-tunes (resumable). Final metrics,
    /// on the test set: "pixel_accuracy", "iou", "dice", "test_loss", and "train_loss" (last step).</remarks>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        this.RequireDevicePath(options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            Checkpoint? init = null;
            if (!IsFloat)
            {
                var floatRun = FloatRecipe.Run(store, preset, options);
                init = store.StoredWeights(floatRun.RunId, "MinifloatSegmentationRecipe");
            }
            var (train, test) = Data(t, options.Data);
            var net = Build(t, options.Seed);
            long batchSeed = IsFloat ? options.Seed : t.QatSeed;
            if (init is not null)
            {
                net.LoadStateDict(TrainerCheckpoint.ModelState(init));
                IReadOnlyDictionary<string, float>? clips = null;
                if (UsesClipCalibration(t))
                    clips = ActivationClipCalibration.Percentiles(net, SegmentationBatches.Epoch(train, t.BatchSize, batchSeed, 0).First().X, t.ClipPercentile);
                ModelQuantizer.Quantize(net, Spec(t));
                // A resumed run restores its learned α from the checkpoint afterwards, so this only sets a fresh run's start.
                if (clips is not null) ActivationClipCalibration.InitializePact(net, clips);
            }
            long steps = IsFloat ? t.FloatSteps : t.QatSteps;
            var opt = new Adam(net.Parameters(), lr: IsFloat ? t.FloatLr : t.QatLr);
            var loss = LossOf(t);
            var trainer = new Trainer(net, opt, loss, new TrainerOptions
            {
                MaxSteps = steps,
                Scheduler = new CosineAnnealingLR(opt, (int)Math.Min(steps, int.MaxValue)),
                SchedulerInterval = SchedulerInterval.PerStep,
                CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : preset == Preset.Smoke ? 2 : preset == Preset.Quick ? 100 : 1000,
                EvalAtEnd = false,
                TrackAccuracy = false,
                LogEvery = t.LogEvery,
                Progress = options.Progress ?? ProgressSinks.Auto(),
                Description = $"{Name} [{preset.Name()}] {(IsFloat ? "float" : $"{t.Format} {t.Bits}-bit")}",
            });
            var last = new LastLossCallback();
            trainer.Callbacks.Add(last);
            ctx.Attach(trainer);
            trainer.Fit((e, s) => SegmentationBatches.Epoch(train, t.BatchSize, batchSeed, e, s), SegmentationBatches.PerEpoch(train, t.BatchSize));
            ctx.SaveCheckpoint(TrainerCheckpoint.Capture(trainer));
            var m = SegmentationMetrics.Evaluate(net, test.Batches(t.EvalBatchSize), loss);
            foreach (var k in (string[])["pixel_accuracy", "iou", "dice"]) ctx.LogMetric(trainer.State.Step, "eval/" + k, m[k]);
            return new Dictionary<string, double>
            {
                ["pixel_accuracy"] = m["pixel_accuracy"], ["iou"] = m["iou"], ["dice"] = m["dice"],
                ["test_loss"] = m["loss"], ["train_loss"] = last.Value,
            };
        }, options.RunOptions);
    }

    /// <summary>
    /// The trained U-Net of this cell (trained first when the store has none) in eval mode: float, or converted with
    /// <see cref="Spec"/> and carrying the fine-tuned weights (and learned clip levels / steps).
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no stored weights.</exception>
    public ThinUNet Trained(IRunStore store, Preset preset, RecipeOptions options, out RunResult run)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        run = Run(store, preset, options);
        var ckpt = store.StoredWeights(run.RunId, "MinifloatSegmentationRecipe.Trained");
        var t = Training(preset, options);
        var net = Build(t, options.Seed);
        if (!IsFloat) ModelQuantizer.Quantize(net, Spec(t));
        net.LoadStateDict(TrainerCheckpoint.ModelState(ckpt));
        net.Eval();
        return net;
    }

    private static bool UsesClipCalibration(SegmentationQatTraining t) =>
        t.CalibrateClip && t.Format == NumberFormat.Integer && t.Integer == IntegerQuantizers.DoReFaPact;

    /// <summary>The test set of this recipe's preset, for evaluating <see cref="Trained"/> networks (<see cref="SegmentationMetrics.Evaluate"/>).</summary>
    public SegmentationDataset TestSet(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Data(Training(preset, options), options.Data).Test;
    }

}
