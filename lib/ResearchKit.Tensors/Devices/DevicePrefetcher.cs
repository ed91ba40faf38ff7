using System.Collections.Concurrent;

namespace ResearchKit.Tensors.Devices;

/// <summary>
/// Host-to-device copies of the next batches overlapped with the current batch's kernels (what PyTorch users get from
/// <c>pin_memory=True</c> with <c>.to(device, non_blocking=True)</c> and a side stream): a background thread takes the host
/// batches in order, uploads them through the device's copy stream and keeps up to <c>depth</c> of them ready.
/// </summary>
/// <remarks>
/// The batches and their order are exactly the source's; only where the copy runs changes, so results are unchanged. Each
/// upload is complete before its batch is handed over, so kernels may read it at once. Leaving the loop early stops the
/// thread and disposes the source. For a CPU <c>device</c> the source is returned unchanged.
/// </remarks>
public static class DevicePrefetcher
{
    /// <summary>The pairs of <paramref name="source"/> on <paramref name="device"/>, uploaded up to <paramref name="depth"/> pairs ahead.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">Producing or uploading a batch failed (the message names the batch; the cause is inner).</exception>
    public static IEnumerable<(Tensor X, Tensor Y)> Prefetch(IEnumerable<(Tensor X, Tensor Y)> source, Device device, int depth = 2)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "DevicePrefetcher: depth must be at least 1 (batches uploaded ahead).");
        return device.IsCpu ? source : Run(source, device, depth);
    }

    private static IEnumerable<(Tensor X, Tensor Y)> Run(IEnumerable<(Tensor X, Tensor Y)> source, Device device, int depth)
    {
        DeviceBackends.For(device); // fail here, on the caller's thread, when the device has no backend
        using var stop = new CancellationTokenSource();
        var queue = new BlockingCollection<(Tensor, Tensor)>(new ConcurrentQueue<(Tensor, Tensor)>(), depth);
        Exception? failure = null;
        int produced = 0;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var (x, y) in source)
                {
                    if (stop.IsCancellationRequested) break;
                    queue.Add((x.ToOnCopyStream(device), y.ToOnCopyStream(device)), stop.Token);
                    produced++;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e) { failure = e; }
            finally { queue.CompleteAdding(); }
        })
        { IsBackground = true, Name = $"DevicePrefetcher → {device}" };
        thread.Start();
        try
        {
            foreach (var pair in queue.GetConsumingEnumerable()) yield return pair;
            // CompleteAdding came after the thread's last write, and the enumeration observed it: failure is visible here.
            if (failure is not null)
                throw new InvalidOperationException($"DevicePrefetcher: preparing batch {produced} for {device} failed: {failure.Message}", failure);
        }
        finally
        {
            stop.Cancel();
            thread.Join();
            queue.Dispose();
        }
    }
}
