namespace ResearchKit.Data;

/// <summary>Progress of one download.</summary>
/// <param name="FileName">The file being downloaded (the download's name, e.g. <c>cifar-10-binary.tar.gz</c>).</param>
/// <param name="Url">The URL it comes from.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">Total size when the server (or the manifest) tells it, else null.</param>
public readonly record struct DownloadProgress(string FileName, string Url, long BytesReceived, long? TotalBytes)
{
    /// <summary>Fraction done in [0, 1], or null when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? Math.Min(1.0, (double)BytesReceived / TotalBytes.Value) : null;
}
