namespace ResearchKit.Data;

/// <summary>
/// Reads the CIFAR binary versions. CIFAR-10 records are 1 label byte + 3072 pixel bytes; CIFAR-100 records are
/// 1 coarse + 1 fine label byte + 3072 pixel bytes. Pixels are the R, G then B 32×32 planes, i.e. already C×H×W.
/// </summary>
public static class CifarReader
{
    /// <summary>Pixel bytes per image (3 × 32 × 32).</summary>
    public const int PixelBytes = 3 * 32 * 32;
    /// <summary>Bytes per CIFAR-10 record.</summary>
    public const int Cifar10RecordBytes = 1 + PixelBytes;
    /// <summary>Bytes per CIFAR-100 record.</summary>
    public const int Cifar100RecordBytes = 2 + PixelBytes;

    /// <summary>Parses one CIFAR-10 batch; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a whole number of records, empty, or a label outside 0..9.</exception>
    public static (byte[] Pixels, int[] Labels) ParseCifar10(ReadOnlySpan<byte> data, string source)
    {
        int n = RecordCount(data.Length, Cifar10RecordBytes, source, "CIFAR-10", "1 label byte",
            "each of the 6 batches holds 10,000 images = 30,730,000 bytes");
        var pixels = new byte[(long)n * PixelBytes];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            var rec = data.Slice(i * Cifar10RecordBytes, Cifar10RecordBytes);
            int label = rec[0];
            if (label >= 10)
                throw new InvalidDataException(
                    $"CIFAR-10 batch {source}: record {i} has label {label}, outside 0..9; it is corrupt or not a CIFAR-10 binary batch " +
                    "(CIFAR-100 records have 2 label bytes).");
            labels[i] = label;
            rec[1..].CopyTo(pixels.AsSpan(i * PixelBytes, PixelBytes));
        }
        return (pixels, labels);
    }

    /// <summary>Parses a CIFAR-100 file (<c>train.bin</c> or <c>test.bin</c>).</summary>
    /// <exception cref="InvalidDataException">Not a whole number of records, empty, or a label out of range.</exception>
    public static (byte[] Pixels, int[] FineLabels, int[] CoarseLabels) ParseCifar100(ReadOnlySpan<byte> data, string source)
    {
        int n = RecordCount(data.Length, Cifar100RecordBytes, source, "CIFAR-100", "1 coarse + 1 fine label byte",
            "train.bin holds 50,000 images = 153,700,000 bytes, test.bin 10,000 = 30,740,000 bytes");
        var pixels = new byte[(long)n * PixelBytes];
        var fine = new int[n];
        var coarse = new int[n];
        for (int i = 0; i < n; i++)
        {
            var rec = data.Slice(i * Cifar100RecordBytes, Cifar100RecordBytes);
            if (rec[0] >= 20 || rec[1] >= 100)
                throw new InvalidDataException(
                    $"CIFAR-100 file {source}: record {i} has coarse label {rec[0]} (must be 0..19) and fine label {rec[1]} (must be 0..99); " +
                    "it is corrupt or not a CIFAR-100 binary file.");
            coarse[i] = rec[0];
            fine[i] = rec[1];
            rec[2..].CopyTo(pixels.AsSpan(i * PixelBytes, PixelBytes));
        }
        return (pixels, fine, coarse);
    }

    /// <summary>Reads CIFAR-10 batches (raw or gzip) in order into one dataset.</summary>
    public static ImageDataset ReadCifar10(IReadOnlyList<string> paths, string name, IReadOnlyList<string>? classNames = null)
    {
        var parts = new List<(byte[] Pixels, int[] Labels)>(paths.Count);
        foreach (var p in paths) parts.Add(ParseCifar10(DataStreams.ReadAllBytes(p, DataStreams.IsGzip(p)), p));
        return Concat(parts, name, classNames ?? CifarClassNames.Cifar10);
    }

    /// <summary>
    /// Reads a CIFAR-100 file (raw or gzip). <paramref name="labels"/> picks the label set of <see cref="ImageDataset.Labels"/>
    /// and <see cref="ImageDataset.ClassNames"/> (fine: 100 classes, default; coarse: 20); <see cref="ImageDataset.CoarseLabels"/>
    /// always holds the superclasses.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated, or has a label out of range.</exception>
    public static ImageDataset ReadCifar100(string path, string name, Cifar100Labels labels = Cifar100Labels.Fine)
    {
        var (px, fine, coarse) = ParseCifar100(DataStreams.ReadAllBytes(path, DataStreams.IsGzip(path)), path);
        return Cifar100Dataset(name, px, fine, coarse, labels);
    }

    /// <summary>Builds a CIFAR-100 dataset from parsed records with the chosen label set (class names default to the published lists).</summary>
    /// <exception cref="ArgumentException">Array lengths disagree, or a class-name list has the wrong length.</exception>
    public static ImageDataset Cifar100Dataset(string name, byte[] pixels, int[] fine, int[] coarse, Cifar100Labels labels,
        IReadOnlyList<string>? fineNames = null, IReadOnlyList<string>? coarseNames = null)
    {
        fineNames ??= CifarClassNames.Cifar100Fine;
        coarseNames ??= CifarClassNames.Cifar100Coarse;
        if (fineNames.Count != 100 || coarseNames.Count != 20)
            throw new ArgumentException($"CIFAR-100 '{name}': expected 100 fine and 20 coarse class names, got {fineNames.Count} and {coarseNames.Count}.");
        return labels switch
        {
            Cifar100Labels.Fine => new ImageDataset(name, pixels, fine, 3, 32, 32, fineNames, coarse),
            Cifar100Labels.Coarse => new ImageDataset(name, pixels, coarse, 3, 32, 32, coarseNames, coarse),
            _ => throw new ArgumentOutOfRangeException(nameof(labels), labels, "CIFAR-100 label set must be Cifar100Labels.Fine or Cifar100Labels.Coarse."),
        };
    }

    /// <summary>Reads a class-name list (one per line, blank lines ignored) such as <c>batches.meta.txt</c>.</summary>
    /// <exception cref="InvalidDataException">It does not hold exactly <paramref name="expected"/> names.</exception>
    public static IReadOnlyList<string> ReadClassNames(string path, int expected)
    {
        using var s = DataStreams.OpenAuto(path);
        using var r = new StreamReader(s);
        var names = r.ReadToEnd().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != expected)
            throw new InvalidDataException($"Class-name file {path} lists {names.Length} names, expected {expected}.");
        return names;
    }

    internal static ImageDataset Concat(List<(byte[] Pixels, int[] Labels)> parts, string name, IReadOnlyList<string> classNames)
    {
        if (parts.Count == 1) return new ImageDataset(name, parts[0].Pixels, parts[0].Labels, 3, 32, 32, classNames);
        long total = 0;
        foreach (var p in parts) total += p.Labels.Length;
        var pixels = new byte[total * PixelBytes];
        var labels = new int[total];
        int at = 0;
        foreach (var p in parts)
        {
            p.Pixels.CopyTo(pixels, (long)at * PixelBytes);
            p.Labels.CopyTo(labels, at);
            at += p.Labels.Length;
        }
        return new ImageDataset(name, pixels, labels, 3, 32, 32, classNames);
    }

    private static int RecordCount(int length, int record, string source, string dataset, string labelBytes, string fullSizes)
    {
        if (length == 0)
            throw new InvalidDataException($"{dataset} file {source} is empty; expected records of {record} bytes ({labelBytes} + {PixelBytes} pixel bytes).");
        if (length % record != 0)
            throw new InvalidDataException(
                $"{dataset} file {source} is truncated or not a {dataset} binary file: {length:N0} bytes is {length / record:N0} whole " +
                $"{record}-byte records ({labelBytes} + {PixelBytes} pixel bytes) and {length % record:N0} bytes over " +
                $"({fullSizes}).");
        return length / record;
    }
}
