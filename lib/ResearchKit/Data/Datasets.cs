namespace ResearchKit.Data;

/// <summary>
/// The thesis datasets, resolved through <see cref="DataResolver"/> (explicit path → RESEARCHKIT_DATA → cache → mirror →
/// download) and verified against the manifest. Image datasets are N×C×H×W bytes; text corpora are token ids.
/// </summary>
public static class Datasets
{
    /// <summary>MNIST class names: the digits "0" … "9".</summary>
    public static IReadOnlyList<string> MnistClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Fashion-MNIST class names, by label.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST: 60,000 train or 10,000 test images, 1×28×28, named "MNIST train"/"MNIST test".</summary>
    public static ImageDataset Mnist(bool train, DataOptions? options = null) =>
        Idx("mnist", "MNIST", train, options, MnistClassNames);

    /// <summary>Fashion-MNIST: 60,000 train or 10,000 test images, 1×28×28.</summary>
    public static ImageDataset FashionMnist(bool train, DataOptions? options = null) =>
        Idx("fashion-mnist", "Fashion-MNIST", train, options, FashionMnistClassNames);

    /// <summary>CIFAR-10 (binary version): 50,000 train (data_batch_1..5) or 10,000 test images, 3×32×32.</summary>
    public static ImageDataset Cifar10(bool train, DataOptions? options = null)
    {
        var r = new DataResolver(options);
        string[] names = train ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"] : ["test_batch.bin"];
        var files = names.Select(n => r.Resolve("cifar-10", n)).ToList();
        var meta = r.TryResolveLocal(r.Manifest.File("cifar-10", "batches.meta.txt"));
        var classNames = meta is null ? CifarClassNames.Cifar10 : CifarReader.ReadClassNames(meta.Path, 10);
        var parts = files.Select(f => CifarReader.ParseCifar10(f.ReadAllBytes(), f.Path)).ToList();
        return CifarReader.Concat(parts, train ? "CIFAR-10 train" : "CIFAR-10 test", classNames);
    }

    /// <summary>
    /// CIFAR-100 (binary version, <c>cifar-100-binary.tar.gz</c>): 50,000 train (<c>train.bin</c>) or 10,000 test (<c>test.bin</c>)
    /// images, 3×32×32. <paramref name="labels"/> picks <see cref="ImageDataset.Labels"/>: the 100 fine classes (default, named
    /// "CIFAR-100 train"/"test") or the 20 superclasses (named "… (coarse)"); <see cref="ImageDataset.CoarseLabels"/> always holds
    /// the superclasses. Class names come from the archive's <c>fine_label_names.txt</c>/<c>coarse_label_names.txt</c> when
    /// they are on disk, else from <see cref="CifarClassNames"/>.
    /// </summary>
    /// <exception cref="DataNotFoundException">The file is nowhere to be found (the message says where it looked and how to get it).</exception>
    /// <exception cref="DataIntegrityException">The file fails its size or format check (truncated, label out of range).</exception>
    public static ImageDataset Cifar100(bool train, DataOptions? options = null, Cifar100Labels labels = Cifar100Labels.Fine)
    {
        var r = new DataResolver(options);
        var f = r.Resolve("cifar-100", train ? "train.bin" : "test.bin");
        var fineMeta = r.TryResolveLocal(r.Manifest.File("cifar-100", "fine_label_names.txt"));
        var coarseMeta = r.TryResolveLocal(r.Manifest.File("cifar-100", "coarse_label_names.txt"));
        var (px, fine, coarse) = CifarReader.ParseCifar100(f.ReadAllBytes(), f.Path);
        string name = (train ? "CIFAR-100 train" : "CIFAR-100 test") + (labels == Cifar100Labels.Coarse ? " (coarse)" : "");
        return CifarReader.Cifar100Dataset(name, px, fine, coarse, labels,
            fineMeta is null ? null : CifarReader.ReadClassNames(fineMeta.Path, 100),
            coarseMeta is null ? null : CifarReader.ReadClassNames(coarseMeta.Path, 20));
    }

    /// <summary>WikiText-2 (v1, tokenized): vocabulary 33,278, 2,088,628 train tokens with <c>&lt;eos&gt;</c>.</summary>
    public static TextCorpus WikiText2(DataOptions? options = null) =>
        Text("wikitext-2", "WikiText-2", ["wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"], options);

    /// <summary>Penn Treebank (Mikolov's LM version): vocabulary 10,000, 929,589 train tokens with <c>&lt;eos&gt;</c>.</summary>
    public static TextCorpus PennTreebank(DataOptions? options = null) =>
        Text("ptb", "Penn Treebank", ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"], options);

    private static ImageDataset Idx(string id, string display, bool train, DataOptions? options, IReadOnlyList<string> classNames)
    {
        var r = new DataResolver(options);
        string prefix = train ? "train" : "t10k";
        var img = r.Resolve(id, $"{prefix}-images-idx3-ubyte");
        var lab = r.Resolve(id, $"{prefix}-labels-idx1-ubyte");
        IdxImages images;
        int[] labels;
        using (var s = img.OpenRead()) images = IdxReader.ReadImages(s, img.Path);
        using (var s = lab.OpenRead()) labels = IdxReader.ReadLabels(s, lab.Path);
        return IdxReader.ToDataset(images, labels, $"{display} {(train ? "train" : "test")}", classNames, img.Path, lab.Path);
    }

    private static TextCorpus Text(string id, string display, string[] files, DataOptions? options)
    {
        var r = new DataResolver(options);
        var bytes = files.Select(f => r.Resolve(id, f).ReadAllBytes()).ToArray();
        return TextCorpusReader.Read(display, bytes[0], bytes[1], bytes[2]);
    }
}
