using System.Formats.Tar;
using System.IO.Compression;

namespace ResearchKit.Data;

/// <summary>Streams chosen members out of a tar.gz (System.Formats.Tar over GZipStream) or zip archive.</summary>
internal static class ArchiveExtractor
{
    /// <summary>
    /// Calls <paramref name="onMember"/> with the content of each regular-file member whose normalized path (no leading
    /// "./") is in <paramref name="members"/>; returns the members found. Nothing is written by this method itself, so a
    /// hostile member path cannot escape the cache.
    /// </summary>
    /// <exception cref="DataIntegrityException">The archive cannot be read (corrupt or truncated).</exception>
    public static HashSet<string> Extract(string archivePath, string kind, IReadOnlySet<string> members, Action<string, Stream> onMember)
    {
        var found = new HashSet<string>();
        try
        {
            if (kind == "zip")
            {
                using var zip = ZipFile.OpenRead(archivePath);
                foreach (var e in zip.Entries)
                {
                    string name = Normalize(e.FullName);
                    if (!members.Contains(name) || !found.Add(name)) continue;
                    using var s = e.Open();
                    onMember(name, s);
                }
            }
            else if (kind == "tar.gz")
            {
                using var fs = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                using var gz = new GZipStream(fs, CompressionMode.Decompress);
                using var tar = new TarReader(gz);
                TarEntry? e;
                while ((e = tar.GetNextEntry()) is not null)
                {
                    if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
                        || e.DataStream is null) continue;
                    string name = Normalize(e.Name);
                    if (!members.Contains(name) || !found.Add(name)) continue;
                    onMember(name, e.DataStream);
                    if (found.Count == members.Count) break;
                }
            }
            else throw new ArgumentException($"Unknown archive kind '{kind}' (expected 'tar.gz' or 'zip').", nameof(kind));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new DataIntegrityException($"Archive {archivePath} cannot be read ({e.Message}): it is corrupt or truncated; delete it and fetch it again.", e);
        }
        return found;
    }

    /// <summary>Member path without leading "./" or "/", with forward slashes.</summary>
    public static string Normalize(string path)
    {
        path = path.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        return path.TrimStart('/');
    }
}
