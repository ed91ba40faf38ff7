using System.Buffers;
using System.Security.Cryptography;

namespace ResearchKit.Data;

/// <summary>Streams one URL to a file with progress reporting; the caller verifies and renames the result.</summary>
internal sealed class Downloader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private const long ReportEvery = 1 << 20;

    private readonly HttpClient _client;
    private readonly IProgress<DownloadProgress>? _progress;

    /// <summary>Uses <paramref name="handler"/> (not disposed) or a default handler.</summary>
    public Downloader(HttpMessageHandler? handler, IProgress<DownloadProgress>? progress)
    {
        _client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        // Large archives on slow links: no whole-request timeout; cancellation is the caller's.
        _client.Timeout = Timeout.InfiniteTimeSpan;
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("ResearchKit/1.0");
        _progress = progress;
    }

    /// <summary>
    /// Downloads <paramref name="url"/> into <paramref name="destination"/> (created new) and returns its size and md5.
    /// On any failure the partial file is deleted.
    /// </summary>
    /// <exception cref="IOException">HTTP error status, or the body ended before its declared length.</exception>
    public async Task<(long Size, string Md5)> DownloadAsync(string url, string destination, string displayName, long? expectedSize,
        CancellationToken ct)
    {
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new IOException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            long? declared = response.Content.Headers.ContentLength;
            long? total = declared ?? expectedSize;
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            long received = 0, lastReport = 0;
            _progress?.Report(new DownloadProgress(displayName, url, 0, total));
            var buf = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                await using var src = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using var dst = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
                int n;
                while ((n = await src.ReadAsync(buf.AsMemory(0, BufferSize), ct).ConfigureAwait(false)) > 0)
                {
                    md5.AppendData(buf, 0, n);
                    await dst.WriteAsync(buf.AsMemory(0, n), ct).ConfigureAwait(false);
                    received += n;
                    if (received - lastReport >= ReportEvery)
                    {
                        lastReport = received;
                        _progress?.Report(new DownloadProgress(displayName, url, received, total));
                    }
                }
                await dst.FlushAsync(ct).ConfigureAwait(false);
            }
            finally { ArrayPool<byte>.Shared.Return(buf); }
            _progress?.Report(new DownloadProgress(displayName, url, received, total));
            if (declared is long d && received != d)
                throw new IOException($"the download ended after {received:N0} of {d:N0} bytes");
            return (received, Convert.ToHexStringLower(md5.GetHashAndReset()));
        }
        catch
        {
            TryDelete(destination);
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
