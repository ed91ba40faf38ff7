using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ResearchKit.Tensors.Serialization;

/// <summary>Outcome of <see cref="SafeTensorsChecksum.Check"/>.</summary>
public enum SafeTensorsChecksumStatus
{
    /// <summary>The stored checksum matches the contents.</summary>
    Verified,
    /// <summary>The file has no checksum (written by another tool or an older ResearchKit); nothing could be verified.</summary>
    Absent,
    /// <summary>The stored checksum does not match: the contents changed after writing (bit rot, a bad copy, tampering).</summary>
    Mismatch,
}

/// <summary>
/// A SHA-256 content checksum kept in a safetensors file's own <c>__metadata__</c> (key <see cref="MetadataKey"/>),
/// so that corruption the format cannot see (flipped bytes inside tensor data, or inside a metadata string that still
/// parses) is detected on load.
/// </summary>
/// <remarks>
/// The digest covers everything a reader gets back: every tensor's name, dtype, shape and bytes in header order, then
/// every other metadata pair in ordinal key order (each string length-prefixed, so boundaries cannot shift). It does
/// not depend on the payload layout or header padding, so any conforming writer can reproduce it. Tools that ignore
/// the key still read the file as plain safetensors.
/// </remarks>
public static class SafeTensorsChecksum
{
    /// <summary>Metadata key of the checksum: <c>"sha256:"</c> followed by 64 lower-case hex digits.</summary>
    public const string MetadataKey = "researchkit.checksum";

    private const string Prefix = "sha256:";

    /// <summary>The checksum string (<c>sha256:…</c>) of these tensors and metadata (<see cref="MetadataKey"/> itself is skipped).</summary>
    public static string Compute(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] number = new byte[8];
        void Long(long v) { BinaryPrimitives.WriteInt64LittleEndian(number, v); sha.AppendData(number); }
        void Text(string s) { byte[] b = Encoding.UTF8.GetBytes(s); Long(b.Length); sha.AppendData(b); }

        foreach (SafeTensorEntry e in entries)
        {
            Text(e.Name);
            Text(e.DType.ToHeaderString());
            Long(e.Shape.Count);
            foreach (long d in e.Shape) Long(d);
            Long(e.Data.Length);
            sha.AppendData(e.Data.Span);
        }
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata.Where(p => p.Key != MetadataKey).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Text(k);
                Text(v);
            }
        }
        return Prefix + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Returns <paramref name="metadata"/> plus the checksum of <paramref name="entries"/> and it, ready to write.</summary>
    public static Dictionary<string, string> WithChecksum(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var list = entries as IReadOnlyCollection<SafeTensorEntry> ?? entries.ToList();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (k != MetadataKey) meta[k] = v;
        meta[MetadataKey] = Compute(list, meta);
        return meta;
    }

    /// <summary>Checks a document read back from a file against its stored checksum.</summary>
    /// <param name="document">The document.</param>
    /// <param name="expected">The stored checksum, or null when absent.</param>
    /// <param name="actual">The recomputed checksum, or null when absent.</param>
    public static SafeTensorsChecksumStatus Check(SafeTensorsDocument document, out string? expected, out string? actual)
    {
        ArgumentNullException.ThrowIfNull(document);
        actual = null;
        if (!document.Metadata.TryGetValue(MetadataKey, out expected)) return SafeTensorsChecksumStatus.Absent;
        actual = Compute(document.Entries, document.Metadata);
        return string.Equals(expected, actual, StringComparison.Ordinal) ? SafeTensorsChecksumStatus.Verified : SafeTensorsChecksumStatus.Mismatch;
    }
}
