using System.Globalization;

namespace ResearchKit.Data;

/// <summary>
/// A small <c>.verified</c> file recording that a file with this length and modification time has this content
/// (uncompressed size + "sha256:…" or "md5:…"), so a verified file is not re-hashed on every load.
/// </summary>
internal readonly record struct VerifiedStamp(long FileLength, long MTimeTicks, long ContentSize, string Hash)
{
    private const string Tag = "researchkit-verified-v1";

    /// <summary>The stamp of <paramref name="path"/>'s current length/mtime with the given content size and hash.</summary>
    public static VerifiedStamp For(string path, long contentSize, string hash)
    {
        var fi = new FileInfo(path);
        return new VerifiedStamp(fi.Length, fi.LastWriteTimeUtc.Ticks, contentSize, hash);
    }

    /// <summary>Reads the stamp at <paramref name="stampPath"/>, or null when missing or unreadable.</summary>
    public static VerifiedStamp? Read(string stampPath)
    {
        try
        {
            if (!File.Exists(stampPath)) return null;
            var p = File.ReadAllText(stampPath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (p.Length != 5 || p[0] != Tag) return null;
            return new VerifiedStamp(long.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture),
                long.Parse(p[3], CultureInfo.InvariantCulture), p[4]);
        }
        catch (Exception e) when (e is IOException or FormatException or OverflowException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether this stamp still describes <paramref name="path"/> (same length and mtime) and satisfies the expected
    /// content size and hash (each null = anything).
    /// </summary>
    public bool Matches(string path, long? expectedSize, string? expectedHash)
    {
        var fi = new FileInfo(path);
        return fi.Exists && fi.Length == FileLength && fi.LastWriteTimeUtc.Ticks == MTimeTicks
            && (expectedSize is null || expectedSize == ContentSize)
            && (expectedHash is null || expectedHash == Hash);
    }

    /// <summary>Writes the stamp atomically; failures are ignored (the file is simply verified again next time).</summary>
    public void TryWrite(string stampPath)
    {
        string tmp = stampPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(stampPath)!);
            File.WriteAllText(tmp, string.Create(CultureInfo.InvariantCulture, $"{Tag} {FileLength} {MTimeTicks} {ContentSize} {Hash}\n"));
            File.Move(tmp, stampPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException) { }
        }
    }
}
