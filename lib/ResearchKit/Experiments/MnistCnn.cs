using ResearchKit.Data;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments;

/// <summary>
/// A small CNN on MNIST, the kit's first end-to-end recipe: the network of PyTorch's <c>examples/mnist</c>
/// (two 3×3 convolutions with 32 and 64 channels, max-pool, dropout 0.25, a 128-unit hidden layer, dropout 0.5),
/// trained with Adam (lr 1e-3, ×0.7 per epoch) at batch 64 on inputs normalized with MNIST's mean 0.1307 and std 0.3081.
/// </summary>
/// <remarks>
/// Presets: <b>smoke</b> trains 2 epochs on 800 of the 1,000 committed sample images and tests on the other 200;
/// <b>quick</b> trains 2 epochs on the 60,000 training images and reports test accuracy on the 10,000 test images
/// (≈99%); <b>paper</b> follows the PyTorch example's 14 epochs.
/// </remarks>
public sealed class MnistCnn : IRecipe
{
    /// <inheritdoc/>
    public string Name => "mnist-cnn";

    /// <inheritdoc/>
    public string Description => "CNN (PyTorch examples/mnist) on MNIST; smoke: committed sample, quick: 2 epochs, paper: 14 epochs";

    private static (int Epochs, int BatchSize) Size(Preset p) => p switch
    {
        Preset.Smoke => (2, 32),
        Preset.Quick => (2, 64),
        _ => (14, 64),
    };

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var (epochs, batch) = Size(preset);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = preset == Preset.Smoke ? "mnist-sample-1000 (800 train / 200 test)" : "mnist",
            ["model"] = "conv32-conv64-pool-drop0.25-fc128-drop0.5-fc10",
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "adam", ["lr"] = 1e-3 },
            ["scheduler"] = new Dictionary<string, object?> { ["name"] = "step", ["step_size"] = 1, ["gamma"] = 0.7 },
            ["batch_size"] = batch,
            ["epochs"] = epochs,
            ["normalize"] = new[] { 0.1307, 0.3081 },
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    /// <summary>The network, initialized from <paramref name="generator"/>.</summary>
    public static Sequential Model(Generator generator, Generator dropout) => new(
        new Conv2d(1, 32, 3, generator: generator), new ReLU(),
        new Conv2d(32, 64, 3, generator: generator), new ReLU(),
        new MaxPool2d(2), new Dropout(0.25f, dropout), new Flatten(),
        new Linear(9216, 128, generator: generator), new ReLU(), new Dropout(0.5f, dropout),
        new Linear(128, 10, generator: generator));

    /// <inheritdoc/>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        var cfg = RunConfig.From(Config(preset, options));
        var (epochs, batch) = Size(preset);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (train, test) = LoadData(preset, options.Data);
            var init = new Generator(options.Seed);
            var dropout = new Generator(options.Seed + 1);
            var model = Model(init, dropout);
            var opt = new Adam(model.Parameters(), lr: 1e-3);
            var sched = new StepLR(opt, stepSize: 1, gamma: 0.7);
            var tf = Transforms.Compose(Transforms.ToFloat(), Transforms.Normalize([0.1307], [0.3081]));
            using var trainLoader = new DataLoader(train, batch, shuffle: true, options.Seed, tf, dropLast: true);
            using var testLoader = new DataLoader(test, 500, shuffle: false, options.Seed, tf);
            int every = options.CheckpointEvery > 0 ? options.CheckpointEvery : preset == Preset.Smoke ? 10 : 200;
            var trainer = new Trainer(model, opt, (logits, y) => F.CrossEntropy(logits, y), new TrainerOptions
            {
                MaxEpochs = epochs,
                Scheduler = sched,
                SchedulerInterval = SchedulerInterval.PerEpoch,
                CheckpointEvery = every,
                EvalEachEpoch = true,
                LogEvery = preset == Preset.Smoke ? 5 : 50,
                Evaluate = () => Metrics.Evaluate(model, testLoader.Epoch(0).Select(b => (b.Images, b.Labels))),
                Progress = options.Progress ?? ProgressSinks.Auto(),
                Description = $"{Name} [{preset.Name()}] {train.Name}",
                Generators = new Dictionary<string, Generator> { ["dropout"] = dropout },
                Device = options.Device,
            });
            ctx.Attach(trainer);
            return trainer.Fit((e, s) => trainLoader.Epoch(e, s).Select(b => (b.Images, b.Labels)), trainLoader.BatchesPerEpoch).FinalMetrics;
        }, options.RunOptions);
    }

    private static (ImageDataset Train, ImageDataset Test) LoadData(Preset preset, DataOptions? data)
    {
        if (preset != Preset.Smoke) return (Datasets.Mnist(train: true, data), Datasets.Mnist(train: false, data));
        var sample = Samples.Mnist();
        return (sample.Subset(Enumerable.Range(0, 800).ToArray(), "MNIST sample (800 train)"),
                sample.Subset(Enumerable.Range(800, 200).ToArray(), "MNIST sample (200 test)"));
    }
}
