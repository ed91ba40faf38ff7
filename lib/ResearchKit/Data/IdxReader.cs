using System.Buffers.Binary;

namespace ResearchKit.Data;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST): a big-endian header (magic 2051 + count, rows, columns for images; magic
/// 2049 + count for labels) followed by unsigned bytes. Files may be raw or gzip-compressed.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an unsigned-byte, 3-dimensional IDX file (images).</summary>
    public const int ImagesMagic = 2051;
    /// <summary>Magic number of an unsigned-byte, 1-dimensional IDX file (labels).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>Reads an images file (raw or gzip).</summary>
    public static IdxImages ReadImages(string path)
    {
        using var s = DataStreams.OpenAuto(path);
        return ReadImages(s, path);
    }

    /// <summary>Reads a labels file (raw or gzip).</summary>
    public static int[] ReadLabels(string path)
    {
        using var s = DataStreams.OpenAuto(path);
        return ReadLabels(s, path);
    }

    /// <summary>Reads an images file from a stream of its uncompressed bytes; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, impossible dimensions, truncated or over-long file.</exception>
    public static IdxImages ReadImages(Stream stream, string source)
    {
        Span<byte> header = stackalloc byte[16];
        ReadHeader(stream, header, source, "images");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != ImagesMagic)
            throw new InvalidDataException(
                $"IDX file {source}: magic number is {magic}, expected {ImagesMagic} (images){(magic == LabelsMagic ? "; this is a labels file" : "")}.");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        long n = (long)count * rows * cols;
        if (count < 0 || rows <= 0 || cols <= 0 || n > Array.MaxLength)
            throw new InvalidDataException($"IDX file {source}: header declares {count} images of {rows}×{cols}, which is not a valid image file.");
        var pixels = ReadBody(stream, (int)n, 16, source, $"{count:N0} images of {rows}×{cols}");
        return new IdxImages(pixels, count, rows, cols);
    }

    /// <summary>Reads a labels file from a stream of its uncompressed bytes; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, truncated or over-long file.</exception>
    public static int[] ReadLabels(Stream stream, string source)
    {
        Span<byte> header = stackalloc byte[8];
        ReadHeader(stream, header, source, "labels");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != LabelsMagic)
            throw new InvalidDataException(
                $"IDX file {source}: magic number is {magic}, expected {LabelsMagic} (labels){(magic == ImagesMagic ? "; this is an images file" : "")}.");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
            throw new InvalidDataException($"IDX file {source}: header declares {count} labels.");
        var bytes = ReadBody(stream, count, 8, source, $"{count:N0} labels");
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = bytes[i];
        return labels;
    }

    /// <summary>Reads an images file and its labels file into a dataset.</summary>
    /// <exception cref="InvalidDataException">The files disagree on the number of images.</exception>
    public static ImageDataset ReadDataset(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames) =>
        ToDataset(ReadImages(imagesPath), ReadLabels(labelsPath), name, classNames, imagesPath, labelsPath);

    internal static ImageDataset ToDataset(IdxImages images, int[] labels, string name, IReadOnlyList<string> classNames,
        string imagesSource, string labelsSource)
    {
        if (images.Count != labels.Length)
            throw new InvalidDataException(
                $"{name}: {imagesSource} holds {images.Count:N0} images but {labelsSource} holds {labels.Length:N0} labels; the files do not belong together.");
        return new ImageDataset(name, images.Pixels, labels, 1, images.Rows, images.Columns, classNames);
    }

    private static void ReadHeader(Stream s, Span<byte> header, string source, string kind)
    {
        int got = Read(s, header, source);
        if (got < header.Length)
            throw new InvalidDataException(
                $"IDX file {source} is truncated: an IDX {kind} header needs {header.Length} bytes, found {got}. Delete it and fetch it again.");
    }

    private static byte[] ReadBody(Stream s, int length, int headerLength, string source, string what)
    {
        var body = new byte[length];
        int got = Read(s, body, source);
        if (got < length)
            throw new InvalidDataException(
                $"IDX file {source} is truncated: its header declares {what} = {length:N0} data bytes ({length + (long)headerLength:N0} bytes in all), " +
                $"found only {got:N0} data bytes ({got + (long)headerLength:N0} in all). Delete it and fetch it again.");
        Span<byte> probe = stackalloc byte[1];
        if (Read(s, probe, source) != 0)
            throw new InvalidDataException(
                $"IDX file {source} is longer than its header declares ({what} = {length + (long)headerLength:N0} bytes in all): it is corrupt or not an IDX file.");
        return body;
    }

    // A truncated gzip stream surfaces as an exception from the decompressor; name the file in it.
    private static int Read(Stream s, Span<byte> into, string source)
    {
        try { return s.ReadAtLeast(into, into.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"IDX file {source} cannot be decompressed ({e.Message}): it is corrupt or truncated. Delete it and fetch it again.", e);
        }
    }
}
