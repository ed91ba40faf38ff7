using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// The networks of chapter 6 and App. A: a ResNet with a chapter-5 <see cref="ClassifierHead"/> (CE, GML or MMC) as one
/// <see cref="QatNetwork"/>, whose <c>Forward</c> gives the scores attacks use and whose <c>Loss</c> trains it.
/// </summary>
public static class Chapter6Network
{
    /// <summary>ResNet depth of the smoke and quick presets (<see cref="ResNetCifar"/>).</summary>
    public const int SmallDepth = 8;

    /// <summary>Depth label of the paper network: Pang et al.'s "ResNet-32" (<see cref="ResNetV2Cifar"/>, n = 5; §6.5.1, §A.2).</summary>
    public const int PaperDepth = 32;

    /// <summary>Width of the paper network's dense feature layer (Pang et al.'s 256; MMC on CIFAR-100 needs ≥ 99).</summary>
    public const int PaperFeatureDim = 256;

    /// <summary>The model recorded in run configs for <paramref name="preset"/>.</summary>
    public static string ModelName(Preset preset, string dataset) => preset == Preset.Paper
        ? $"resnet{PaperDepth}-v2 of Pang et al. [77] (pre-activation bottlenecks, n = 5, dense features {PaperFeatureDim}; {Channels(dataset)} input channel(s))"
        : $"resnet{SmallDepth}-cifar ({Channels(dataset)} input channel(s), 64 features)";

    /// <summary>The float network with the head of <paramref name="settings"/>.<see cref="QatTraining.Loss"/>, initialized from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">MMC with more classes than the features allow (e.g. CIFAR-100 on the 64-feature ResNetCifar).</exception>
    public static QatNetwork Build(Preset preset, QatTraining settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var g = new Generator(seed);
        int classes = Classes(settings.Dataset);
        Module<Tensor, Tensor> model = preset == Preset.Paper
            ? new ResNetV2Cifar(PaperDepth, classes, PaperFeatureDim, Channels(settings.Dataset), generator: g)
            : new ResNetCifar(SmallDepth, classes, inChannels: Channels(settings.Dataset), generator: g);
        return new QatNetwork(model, settings.Loss, settings, classes, g);
    }

    /// <summary>Number of classes of a dataset name (100 for "cifar100", else 10).</summary>
    public static int Classes(string dataset) => dataset == "cifar100" ? 100 : 10;

    /// <summary>Input channels of a dataset name (3 for CIFAR, else 1).</summary>
    public static int Channels(string dataset) => dataset.StartsWith("cifar", StringComparison.Ordinal) ? 3 : 1;

    /// <summary>The dataset description recorded in run configs.</summary>
    public static string DataName(string dataset) => dataset switch
    {
        "fashion-mnist-sample" => "fashion-mnist-sample-1000 (800 train / 200 test)",
        "fashion-mnist" => "fashion-mnist (60k train / 10k test; stand-in for CIFAR-100)",
        "cifar10" => "cifar-10 (50k train / 10k test)",
        _ => "cifar-100 (50k train / 10k test)",
    };

    /// <summary>Checks a dataset name.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static string CheckDataset(string dataset, string who) => dataset is "fashion-mnist" or "cifar10" or "cifar100" ? dataset
        : throw new ArgumentException($"{who}: unknown dataset '{dataset}'; use cifar100 (the thesis'), cifar10 or fashion-mnist.", nameof(dataset));

    /// <summary>
    /// Train and test sets of <paramref name="dataset"/> (<see cref="DlQatRecipe.LoadData(string, Data.DataOptions?)"/>), with a
    /// clear error when the files are not available.
    /// </summary>
    public static (Data.ImageDataset Train, Data.ImageDataset Test) LoadData(string dataset, Data.DataOptions? data)
    {
        try { return DlQatRecipe.LoadData(dataset, data); }
        catch (Data.DataNotFoundException e)
        {
            throw new Data.DataNotFoundException($"Chapter 6: dataset '{dataset}' is not available here ({e.Message}). The paper preset needs CIFAR-100; " +
                "run the quick preset (Fashion-MNIST), or make the dataset available as the message says.", inner: e);
        }
    }

    /// <summary>Train (shuffled, seeded, last partial batch dropped) and test loaders of <paramref name="settings"/>' dataset
    /// through <paramref name="preset"/>'s input pipeline (<see cref="DlQatRecipe.InputTransforms"/>).</summary>
    public static (Data.DataLoader Train, Data.DataLoader Test) Loaders(Preset preset, QatTraining settings, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var (train, test) = LoadData(settings.Dataset, options.Data);
        var (trainTf, testTf) = DlQatRecipe.InputTransforms(preset, settings);
        return (new Data.DataLoader(train, settings.BatchSize, shuffle: true, options.Seed, trainTf, dropLast: true),
                new Data.DataLoader(test, settings.EvalBatchSize, shuffle: false, options.Seed, testTf));
    }

    /// <summary>The test set of <paramref name="settings"/>' dataset, its test pipeline (/255, no augmentation) and the dataset name.</summary>
    public static (Data.ImageDataset Test, Data.ImageTransform Transform, string Dataset) TestSet(Preset preset, QatTraining settings, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var (_, test) = LoadData(settings.Dataset, options.Data);
        return (test, DlQatRecipe.InputTransforms(preset, settings).Test, settings.Dataset);
    }
}
