using System.IO.Compression;

namespace ResearchKit.Data;

/// <summary>Opening dataset files that may or may not be gzip-compressed (detected by the gzip magic bytes).</summary>
internal static class DataStreams
{
    private const int BufferSize = 1 << 20;

    /// <summary>Whether the file starts with the gzip magic 1f 8b (no raw dataset format does: IDX starts 00 00).</summary>
    public static bool IsGzip(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> head = stackalloc byte[2];
        return fs.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    /// <summary>Opens the (decompressed) content of <paramref name="path"/>.</summary>
    public static Stream OpenRead(string path, bool gzip)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        return gzip ? new GZipStream(fs, CompressionMode.Decompress) : fs;
    }

    /// <summary>Opens <paramref name="path"/>, decompressing it when it starts with the gzip magic.</summary>
    public static Stream OpenAuto(string path) => OpenRead(path, IsGzip(path));

    /// <summary>Reads the whole (decompressed) content; <paramref name="sizeHint"/> avoids regrowing a buffer.</summary>
    public static byte[] ReadAllBytes(string path, bool gzip, long? sizeHint = null)
    {
        if (!gzip) return File.ReadAllBytes(path);
        try
        {
            using var s = OpenRead(path, true);
            return ReadToEnd(s, sizeHint);
        }
        catch (InvalidDataException e)
        {
            throw new DataIntegrityException($"{path} is not a valid gzip file ({e.Message}): delete it and fetch it again.", e);
        }
    }

    /// <summary>Reads a stream to its end.</summary>
    public static byte[] ReadToEnd(Stream s, long? sizeHint = null)
    {
        if (sizeHint is long hint && hint > 0 && hint <= Array.MaxLength)
        {
            // Read exactly the expected size, then probe for more so a longer file is still read completely.
            var buf = new byte[hint];
            int n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
            if (n < buf.Length) return buf.AsSpan(0, n).ToArray();
            int b = s.ReadByte();
            if (b < 0) return buf;
            var rest = new MemoryStream();
            rest.Write(buf); rest.WriteByte((byte)b); s.CopyTo(rest);
            return rest.ToArray();
        }
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
