using System.Buffers;
using System.Security.Cryptography;

namespace ResearchKit.Data;

/// <summary>
/// Checks a dataset file against its manifest entry: size and sha256 of the uncompressed bytes when known, and a format
/// check (IDX header, CIFAR record size and label ranges) for files whose checksum is not published.
/// </summary>
internal static class FileVerifier
{
    private const int BufferSize = 1 << 20;

    /// <summary>Size and lower-case hex sha256 of everything read from <paramref name="source"/>, optionally copied to <paramref name="copyTo"/>.</summary>
    public static (long Size, string Sha256) Hash(Stream source, Stream? copyTo = null)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            int n;
            while ((n = source.Read(buf, 0, BufferSize)) > 0)
            {
                sha.AppendData(buf, 0, n);
                copyTo?.Write(buf, 0, n);
                size += n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
        return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>Lower-case hex md5 and size of a file (archives publish md5 only).</summary>
    public static (long Size, string Md5) Md5(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buf = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            int n;
            while ((n = fs.Read(buf, 0, BufferSize)) > 0) { md5.AppendData(buf, 0, n); size += n; }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
        return (size, Convert.ToHexStringLower(md5.GetHashAndReset()));
    }

    /// <summary>Hashes the (decompressed) content of <paramref name="path"/> and checks it against <paramref name="file"/>.</summary>
    /// <exception cref="DataIntegrityException">Wrong size, checksum or format, or undecodable gzip.</exception>
    public static (long Size, string Sha256) VerifyContent(ManifestFile file, string path, bool gzip)
    {
        (long size, string sha) h;
        try
        {
            using var s = DataStreams.OpenRead(path, gzip);
            h = Hash(s);
        }
        catch (InvalidDataException e)
        {
            throw new DataIntegrityException(
                $"{Describe(file)}: {path} cannot be decompressed ({e.Message}); it is corrupt or a partial download: {Fix(file)}", e);
        }
        Check(file, path, h.size, h.sha);
        CheckFormat(file, path, gzip);
        return h;
    }

    /// <summary>Compares a measured size/sha256 with the manifest.</summary>
    /// <exception cref="DataIntegrityException">Mismatch; the message gives both values and the fix.</exception>
    public static void Check(ManifestFile file, string path, long size, string sha256)
    {
        if (file.Size is long expected && expected != size)
            throw new DataIntegrityException(
                $"Size of {path} ({Describe(file)}) is {size:N0} bytes uncompressed, expected {expected:N0} (corrupt or partial download): {Fix(file)}");
        if (file.Sha256 is string want && want != sha256)
            throw new DataIntegrityException(
                $"sha256 of {path} is {sha256}, expected {want} (corrupt or partial download): {Fix(file)}");
    }

    /// <summary>Structural checks for formats whose checksum is not published (and a cheap sanity check for the rest).</summary>
    public static void CheckFormat(ManifestFile file, string path, bool gzip)
    {
        switch (file.Format)
        {
            case "cifar10-batch":
            case "cifar100-batch":
                // The readers validate record size and label ranges; reading once here catches a bad file at fetch time.
                var bytes = DataStreams.ReadAllBytes(path, gzip, file.Size);
                try
                {
                    if (file.Format == "cifar10-batch") CifarReader.ParseCifar10(bytes, path);
                    else CifarReader.ParseCifar100(bytes, path);
                }
                catch (InvalidDataException e)
                {
                    throw new DataIntegrityException($"{e.Message} {Fix(file)}", e);
                }
                break;
        }
    }

    /// <summary>"MNIST file train-images-idx3-ubyte".</summary>
    public static string Describe(ManifestFile file) => $"{file.Dataset.Name} file {file.Name}";

    /// <summary>How to get a good copy.</summary>
    public static string Fix(ManifestFile file) => $"delete it and fetch again with `dotnet rk data fetch {file.Dataset.Id}`.";
}
