using System.Collections.Concurrent;
using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Mini-batches of an <see cref="ImageDataset"/> as (N, C, H, W) float tensors and Int64 labels, like
/// <c>torch.utils.data.DataLoader</c>: seeded per-epoch shuffling, drop_last, per-sample transforms and background
/// prefetch so loading overlaps compute.
/// </summary>
/// <remarks>
/// Everything is a pure function of (seed, epoch, sample index): the epoch's permutation is a Fisher–Yates shuffle
/// driven by a <see cref="Generator"/> seeded from (seed, epoch), and each sample's augmentation generator is seeded
/// from (seed, epoch, dataset index) (<see cref="SeedMix"/>). Batches are thus bit-identical whatever the prefetch
/// depth, <see cref="Workers"/> count or scheduling, and <c>Epoch(e, k)</c> yields exactly batches k, k+1, … of epoch
/// e, for exact resume. The permutation is ResearchKit's own (not bit-compatible with PyTorch's <c>randperm</c>).
/// With <c>prefetch</c> &gt; 0 a dedicated background thread (not the kernel <c>Parallelism</c> pool) produces up to
/// that many batches ahead; a failure there is rethrown on the consuming thread, wrapped with the batch it was
/// producing. Leaving the <c>foreach</c> early or disposing the loader stops the thread.
/// Each batch is a fresh tensor (the consumer may keep it): <see cref="Tensor.Zeros(int[])"/> is filled in place, no copy.
/// </remarks>
public sealed class DataLoader : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private readonly List<Thread> _producers = [];
    private readonly Lock _lock = new();
    private int _cachedEpoch = -1;
    private int[]? _cachedOrder;
    private readonly int _workers = 1;

    /// <summary>Creates a loader; the transform is validated against the dataset's image shape now.</summary>
    /// <param name="dataset">The images.</param>
    /// <param name="batchSize">Samples per batch (the last may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Visit samples in a new seeded random order each epoch.</param>
    /// <param name="seed">Seed of the shuffle and of random transforms.</param>
    /// <param name="transform">Per-sample pipeline; null means <see cref="Transforms.ToFloat"/> alone.</param>
    /// <param name="dropLast">Drop the last incomplete batch.</param>
    /// <param name="prefetch">Batches produced ahead on a background thread; 0 produces them on the consuming thread.</param>
    /// <exception cref="ArgumentException">Bad sizes, or the transform does not fit the images.</exception>
    public DataLoader(ImageDataset dataset, int batchSize, bool shuffle, long seed, ImageTransform? transform = null,
        bool dropLast = false, int prefetch = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be at least 1 (dataset '{dataset.Name}').");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "DataLoader: prefetch must be ≥ 0 (0 = no background thread).");
        Dataset = dataset; BatchSize = batchSize; Shuffle = shuffle; Seed = seed; DropLast = dropLast; Prefetch = prefetch;
        Transform = transform ?? Transforms.ToFloat();
        InputShape = ImageShape.Of(dataset);
        OutputShape = Transform.OutputShape(InputShape);
        BatchesPerEpoch = dropLast ? dataset.Count / batchSize : (dataset.Count + batchSize - 1) / batchSize;
    }

    /// <summary>The dataset.</summary>
    public ImageDataset Dataset { get; }
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Whether each epoch visits samples in a seeded random order.</summary>
    public bool Shuffle { get; }
    /// <summary>Seed of shuffling and augmentation.</summary>
    public long Seed { get; }
    /// <summary>Whether the last incomplete batch is dropped.</summary>
    public bool DropLast { get; }
    /// <summary>Batches produced ahead in the background (0 = none).</summary>
    public int Prefetch { get; }
    /// <summary>The per-sample pipeline.</summary>
    public ImageTransform Transform { get; }
    /// <summary>Shape of a dataset image.</summary>
    public ImageShape InputShape { get; }
    /// <summary>Shape of a transformed image (C, H, W of the batches).</summary>
    public ImageShape OutputShape { get; }
    /// <summary>Batches in every epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>
    /// Threads splitting each batch's samples (default 1: the producer thread alone, which already feeds well above
    /// training speed and leaves the cores to the model). Results do not depend on it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int Workers
    {
        get => _workers;
        init => _workers = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Workers), value, "DataLoader: Workers must be at least 1.");
    }

    /// <summary>The order in which <paramref name="epoch"/> visits the dataset (a copy).</summary>
    public int[] Order(int epoch) => (int[])SharedOrder(epoch).Clone();

    /// <summary>
    /// Batches <paramref name="startBatch"/>, …, <see cref="BatchesPerEpoch"/> − 1 of <paramref name="epoch"/>, identical
    /// to those a full enumeration yields from that position (resume an interrupted epoch with the next batch index).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative epoch or start outside [0, BatchesPerEpoch].</exception>
    /// <exception cref="ObjectDisposedException">The loader was disposed (also thrown mid-epoch).</exception>
    /// <exception cref="InvalidOperationException">Producing a batch failed (the inner exception is the cause).</exception>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0) => Epoch(epoch, startBatch, CancellationToken.None);

    /// <summary>
    /// <see cref="Epoch(int, int)"/> that stops when <paramref name="cancellationToken"/> is cancelled: the producer
    /// thread exits and the enumeration throws <see cref="OperationCanceledException"/> on the consuming thread.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "DataLoader.Epoch: epoch must be ≥ 0.");
        if (startBatch < 0 || startBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"DataLoader.Epoch: startBatch must be in [0, {BatchesPerEpoch}] ({Dataset.Count} samples, batch size {BatchSize}, dropLast={DropLast}).");
        return Prefetch == 0 ? Synchronous(epoch, startBatch, cancellationToken) : Prefetched(epoch, startBatch, cancellationToken);
    }

    /// <summary>Batch <paramref name="index"/> of <paramref name="epoch"/>, produced on the calling thread.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Index outside [0, BatchesPerEpoch).</exception>
    public Batch GetBatch(int epoch, int index)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "DataLoader.GetBatch: epoch must be ≥ 0.");
        if ((uint)index >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"DataLoader.GetBatch: index must be in [0, {BatchesPerEpoch}).");
        return Produce(SharedOrder(epoch), epoch, index, CreateRunners());
    }

    private IEnumerable<Batch> Synchronous(int epoch, int start, CancellationToken cancellationToken)
    {
        var order = SharedOrder(epoch);
        var runners = CreateRunners();
        for (int b = start; b < BatchesPerEpoch; b++)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            cancellationToken.ThrowIfCancellationRequested();
            yield return Produce(order, epoch, b, runners);
        }
    }

    private IEnumerable<Batch> Prefetched(int epoch, int start, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token, cancellationToken);
        var queue = new BlockingCollection<Batch>(new ConcurrentQueue<Batch>(), Prefetch);
        Exception? failure = null;
        int current = start;
        var thread = new Thread(() =>
        {
            try
            {
                var order = SharedOrder(epoch);
                var runners = CreateRunners();
                for (; current < BatchesPerEpoch && !stop.IsCancellationRequested; current++)
                    queue.Add(Produce(order, epoch, current, runners), stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e) { failure = e; }
            finally { queue.CompleteAdding(); }
        })
        { IsBackground = true, Name = $"DataLoader '{Dataset.Name}' epoch {epoch}" };
        lock (_lock) _producers.Add(thread);
        thread.Start();
        try
        {
            while (TryTake(queue, stop.Token, out var batch)) yield return batch;
            // CompleteAdding happened after the thread's last write, and TryTake observed it: failure is visible here.
            if (failure is not null)
                throw new InvalidOperationException($"DataLoader '{Dataset.Name}': producing batch {current} of epoch {epoch} failed: {failure.Message}", failure);
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            cancellationToken.ThrowIfCancellationRequested();   // the producer stopped early: do not end the epoch silently
        }
        finally
        {
            stop.Cancel();
            thread.Join();
            lock (_lock) _producers.Remove(thread);
            queue.Dispose();
        }
    }

    // A separate method because C# forbids yield inside a try with a catch clause.
    private bool TryTake(BlockingCollection<Batch> queue, CancellationToken token, out Batch batch)
    {
        try
        {
            token.ThrowIfCancellationRequested();   // stop at once, even when batches are still queued
            return queue.TryTake(out batch!, Timeout.Infinite, token);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(DataLoader), $"DataLoader '{Dataset.Name}' was disposed while an epoch was being enumerated.");
        }
    }

    private TransformRunner[] CreateRunners()
    {
        var r = new TransformRunner[_workers];
        for (int i = 0; i < r.Length; i++) r[i] = Transform.CreateRunner(InputShape);
        return r;
    }

    private int[] SharedOrder(int epoch)
    {
        lock (_lock)
        {
            if (_cachedEpoch == epoch && _cachedOrder is not null) return _cachedOrder;
        }
        int n = Dataset.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (Shuffle)
        {
            var g = new Generator((long)SeedMix.Mix(Seed, SeedMix.ShuffleStream, epoch, 0));
            for (int i = n - 1; i > 0; i--)
            {
                int j = (int)g.NextInt64(0, i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        lock (_lock) { _cachedEpoch = epoch; _cachedOrder = order; }
        return order;
    }

    private Batch Produce(int[] order, int epoch, int index, TransformRunner[] runners)
    {
        int start = index * BatchSize, n = Math.Min(BatchSize, Dataset.Count - start);
        var o = OutputShape;
        var images = Tensor.Zeros(n, o.Channels, o.Height, o.Width);
        var labels = Tensor.ZerosInt64(n);
        var ids = order.AsSpan(start, n).ToArray();
        var lab = labels.AsInt64Span();
        for (int i = 0; i < n; i++) lab[i] = Dataset.Labels[ids[i]];
        int k = Math.Min(runners.Length, n);
        if (k <= 1) Fill(runners[0], images, ids, 0, n, epoch);
        else
            Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = k },
                w => Fill(runners[w], images, ids, (int)((long)n * w / k), (int)((long)n * (w + 1) / k), epoch));
        return new Batch(images, labels, epoch, index) { SampleIndices = ids };
    }

    private void Fill(TransformRunner runner, Tensor images, int[] ids, int from, int to, int epoch)
    {
        int size = OutputShape.Size;
        var dst = images.AsSpan();
        for (int i = from; i < to; i++)
            runner.Apply(Dataset.Image(ids[i]), dst.Slice(i * size, size), SeedMix.Sample(Seed, epoch, ids[i]));
    }

    /// <summary>Stops background producers (waiting for them to exit); enumerations in progress then throw.</summary>
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        Thread[] running;
        lock (_lock) running = [.. _producers];
        foreach (var t in running)
            if (t != Thread.CurrentThread) t.Join();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"DataLoader({Dataset.Name}, batch_size={BatchSize}, shuffle={Shuffle}, drop_last={DropLast}, transform={Transform})";
}
