namespace ResearchKit.Data;

/// <summary>
/// Small real samples committed under the repository's <c>data/samples</c> (sha256-checked against the manifest on
/// every load): for tests, smoke runs and notebooks that must work without any download.
/// </summary>
public static class Samples
{
    /// <summary>The first 1,000 MNIST test images.</summary>
    public static ImageDataset Mnist() =>
        Idx("mnist-test-images-1000", "mnist-test-labels-1000", "MNIST test sample (first 1,000)", Datasets.MnistClassNames);

    /// <summary>The first 1,000 Fashion-MNIST test images.</summary>
    public static ImageDataset FashionMnist() =>
        Idx("fashion-mnist-test-images-1000", "fashion-mnist-test-labels-1000", "Fashion-MNIST test sample (first 1,000)",
            Datasets.FashionMnistClassNames);

    /// <summary>The first 1,000 images of the real CIFAR-10 test batch.</summary>
    public static ImageDataset Cifar10()
    {
        const string Name = "CIFAR-10 test sample (first 1,000)";
        var (px, labels) = CifarReader.ParseCifar10(Read("cifar-10-test-1000", out var path), path);
        var names = System.Text.Encoding.UTF8.GetString(Read("cifar-10-meta", out _))
            .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return new ImageDataset(Name, px, labels, 3, 32, 32, names);
    }

    /// <summary>
    /// A WikiText-2 excerpt (first 2,000 train lines, 300 valid and 300 test lines) tokenized like the full corpus; the
    /// vocabulary is that of the excerpt, so ids differ from <see cref="Datasets.WikiText2"/>'s.
    /// </summary>
    public static TextCorpus WikiText2() =>
        TextCorpusReader.Read("WikiText-2 sample (excerpt)", Read("wikitext-2-train-2000", out _),
            Read("wikitext-2-valid-300", out _), Read("wikitext-2-test-300", out _));

    /// <summary>
    /// The uncompressed bytes of sample <paramref name="sampleId"/>, checked against the manifest's size and sha256.
    /// </summary>
    /// <exception cref="DataIntegrityException">The sample file was altered.</exception>
    public static byte[] Read(string sampleId, out string path)
    {
        var s = Manifest.Default.Sample(sampleId);
        path = System.IO.Path.Combine(DataFolder.Path, s.Path.Replace('/', System.IO.Path.DirectorySeparatorChar));
        return ReadVerified(s, path);
    }

    /// <summary>Reads <paramref name="path"/> (gzip or raw) and checks it against the sample's size and sha256.</summary>
    internal static byte[] ReadVerified(ManifestSample s, string path)
    {
        if (!File.Exists(path))
            throw new DataNotFoundException($"Sample file {path} ({s.Description}) is missing; restore it with `git checkout -- data/samples`.", path);
        var bytes = DataStreams.ReadAllBytes(path, DataStreams.IsGzip(path), s.Size);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (bytes.Length != s.Size || sha != s.Sha256)
            throw new DataIntegrityException(
                $"Sample {path}: {bytes.Length:N0} bytes with sha256 {sha}, expected {s.Size:N0} bytes with sha256 {s.Sha256}; " +
                "it was modified: restore it with `git checkout -- data/samples`.");
        return bytes;
    }

    private static ImageDataset Idx(string imagesId, string labelsId, string name, IReadOnlyList<string> classNames)
    {
        var images = IdxReader.ReadImages(new MemoryStream(Read(imagesId, out var ip)), ip);
        var labels = IdxReader.ReadLabels(new MemoryStream(Read(labelsId, out var lp)), lp);
        return IdxReader.ToDataset(images, labels, name, classNames, ip, lp);
    }
}
