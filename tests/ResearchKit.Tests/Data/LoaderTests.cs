using ResearchKit.Data;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Data;

/// <summary>Synthetic labelled image datasets for the loader tests (no dependency on data files).</summary>
internal static class SyntheticImages
{
    public static ImageDataset Create(int n, int c, int h, int w, int seed, int classes = 10)
    {
        var rnd = new Random(seed);
        var px = new byte[n * c * h * w];
        rnd.NextBytes(px);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rnd.Next(classes);
        var names = new string[classes];
        for (int i = 0; i < classes; i++) names[i] = "class" + i;
        return new ImageDataset($"synthetic {n}×{c}×{h}×{w}", px, labels, c, h, w, names);
    }
}

public class LoaderTests
{
    private static readonly ImageTransform CifarAugment = Transforms.Compose(
        Transforms.RandomCrop(8, 2), Transforms.RandomHorizontalFlip(), Transforms.ToFloat(),
        Transforms.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]));

    private static void SameBatches(IReadOnlyList<Batch> a, IReadOnlyList<Batch> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Index, b[i].Index);
            Assert.Equal(a[i].Epoch, b[i].Epoch);
            Assert.Equal(a[i].SampleIndices, b[i].SampleIndices);
            Assert.Equal(a[i].Labels.ToInt64Array(), b[i].Labels.ToInt64Array());
            Assert.Equal(a[i].Images.ToArray(), b[i].Images.ToArray());   // bit-identical floats
        }
    }

    [Fact]
    public void Batches_HaveShapesLabelsAndPixelsInOrder()
    {
        var ds = SyntheticImages.Create(10, 1, 5, 4, seed: 1);
        using var loader = new DataLoader(ds, 4, shuffle: false, seed: 0);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        for (int k = 0; k < 3; k++)
        {
            var b = batches[k];
            Assert.Equal(k, b.Index);
            Assert.Equal(new Shape(b.Count, 1, 5, 4), b.Images.Shape);
            Assert.Equal(DType.Float32, b.Images.DType);
            Assert.Equal(DType.Int64, b.Labels.DType);
            Assert.True(b.Images.IsContiguous);
            var px = b.Images.ToArray();
            var lb = b.Labels.ToInt64Array();
            for (int i = 0; i < b.Count; i++)
            {
                int id = 4 * k + i;
                Assert.Equal(id, b.SampleIndices[i]);
                Assert.Equal(ds.Labels[id], lb[i]);
                for (int j = 0; j < 20; j++) Assert.Equal(ds.Pixels[id * 20 + j] / 255.0, px[i * 20 + j], 1e-7);
            }
        }
    }

    [Fact]
    public void DropLast_DropsTheIncompleteBatch()
    {
        var ds = SyntheticImages.Create(10, 1, 3, 3, seed: 2);
        using var loader = new DataLoader(ds, 4, shuffle: true, seed: 5, dropLast: true);
        Assert.Equal(2, loader.BatchesPerEpoch);
        var b = loader.Epoch(0).ToList();
        Assert.Equal([4, 4], b.Select(x => x.Count));
        using var exact = new DataLoader(ds, 5, false, 0, dropLast: true);
        Assert.Equal(2, exact.BatchesPerEpoch);
        using var tooBig = new DataLoader(ds, 11, false, 0, dropLast: true);
        Assert.Empty(tooBig.Epoch(0));
    }

    [Fact]
    public void Shuffle_IsASeededPermutationPerEpoch()
    {
        var ds = SyntheticImages.Create(100, 1, 2, 2, seed: 3);
        using var a = new DataLoader(ds, 10, true, seed: 7);
        using var b = new DataLoader(ds, 10, true, seed: 7);
        using var c = new DataLoader(ds, 10, true, seed: 8);
        var o0 = a.Order(0);
        Assert.Equal(Enumerable.Range(0, 100), o0.Order());
        Assert.Equal(o0, b.Order(0));
        Assert.NotEqual(o0, a.Order(1));
        Assert.NotEqual(o0, c.Order(0));
        Assert.NotEqual(Enumerable.Range(0, 100), o0);
        // The epoch's batches visit exactly that order.
        Assert.Equal(o0, a.Epoch(0).SelectMany(x => x.SampleIndices));
        using var plain = new DataLoader(ds, 10, false, seed: 7);
        Assert.Equal(Enumerable.Range(0, 100), plain.Order(3));
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalBatches_WhateverPrefetchAndWorkers()
    {
        var ds = SyntheticImages.Create(50, 3, 8, 8, seed: 4);
        using var a = new DataLoader(ds, 16, true, seed: 11, transform: CifarAugment, prefetch: 2);
        using var b = new DataLoader(ds, 16, true, seed: 11, transform: CifarAugment, prefetch: 0);
        using var c = new DataLoader(ds, 16, true, seed: 11, transform: CifarAugment, prefetch: 1) { Workers = 3 };
        var ea = a.Epoch(2).ToList();
        SameBatches(ea, b.Epoch(2).ToList());
        SameBatches(ea, c.Epoch(2).ToList());
        SameBatches(ea, a.Epoch(2).ToList());   // re-enumeration
    }

    [Fact]
    public void DifferentEpochs_AndSeeds_Differ()
    {
        var ds = SyntheticImages.Create(32, 3, 8, 8, seed: 5);
        using var a = new DataLoader(ds, 32, false, seed: 1, transform: CifarAugment);
        using var b = new DataLoader(ds, 32, false, seed: 2, transform: CifarAugment);
        var e0 = a.Epoch(0).Single().Images.ToArray();
        // No shuffle: only the augmentation differs between epochs.
        Assert.NotEqual(e0, a.Epoch(1).Single().Images.ToArray());
        Assert.NotEqual(e0, b.Epoch(0).Single().Images.ToArray());
    }

    [Fact]
    public void AugmentationDependsOnTheSampleNotItsBatchPosition()
    {
        // Same seed, different batch sizes: each dataset image must get the same augmentation.
        var ds = SyntheticImages.Create(24, 3, 8, 8, seed: 6);
        using var a = new DataLoader(ds, 5, true, seed: 3, transform: CifarAugment);
        using var b = new DataLoader(ds, 7, true, seed: 3, transform: CifarAugment);
        var byId = new Dictionary<int, float[]>();
        foreach (var batch in a.Epoch(1))
            for (int i = 0; i < batch.Count; i++) byId[batch.SampleIndices[i]] = batch.Images.Select(0, i).ToArray();
        foreach (var batch in b.Epoch(1))
            for (int i = 0; i < batch.Count; i++) Assert.Equal(byId[batch.SampleIndices[i]], batch.Images.Select(0, i).ToArray());
    }

    [Fact]
    public void StartBatch_ResumesWithExactlyTheRemainingBatches()
    {
        var ds = SyntheticImages.Create(45, 3, 8, 8, seed: 7);
        using var loader = new DataLoader(ds, 8, true, seed: 9, transform: CifarAugment);
        var full = loader.Epoch(4).ToList();
        Assert.Equal(6, full.Count);
        for (int k = 0; k <= 6; k++)
        {
            using var fresh = new DataLoader(ds, 8, true, seed: 9, transform: CifarAugment);
            SameBatches(full.Skip(k).ToList(), fresh.Epoch(4, k).ToList());
        }
        SameBatches([full[3]], [loader.GetBatch(4, 3)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatch(0, 6));
    }

    private static ImageTransform FailOnMarker(byte marker, Action? onCall = null) =>
        Transforms.Lambda("fail", (img, _, _) =>
        {
            onCall?.Invoke();
            if (img[0] == marker) throw new FormatException("bad pixel");
        });

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void ProducerException_SurfacesOnTheConsumerAfterEarlierBatches(int prefetch)
    {
        var ds = SyntheticImages.Create(20, 1, 2, 2, seed: 8);
        for (int i = 0; i < 20; i++) ds.Pixels[i * 4] = 0;
        ds.Pixels[13 * 4] = 7;   // sample 13, in batch 3 of size 4
        using var loader = new DataLoader(ds, 4, false, 0, FailOnMarker(7), prefetch: prefetch);
        var got = new List<int>();
        var e = Assert.ThrowsAny<Exception>(() => { foreach (var b in loader.Epoch(0)) got.Add(b.Index); });
        Assert.Equal([0, 1, 2], got);
        var inner = prefetch == 0 ? e : e.InnerException;
        Assert.IsType<FormatException>(inner);
        if (prefetch > 0)
        {
            Assert.IsType<InvalidOperationException>(e);
            Assert.Contains("batch 3 of epoch 0", e.Message);
        }
    }

    [Fact]
    public void Prefetch_RunsAtMostPrefetchBatchesAhead_AndStopsWhenTheLoopBreaks()
    {
        var ds = SyntheticImages.Create(400, 1, 2, 2, seed: 9);
        int calls = 0;
        var t = Transforms.Lambda("count", (_, _, _) => Interlocked.Increment(ref calls));
        using var loader = new DataLoader(ds, 10, false, 0, t, prefetch: 2);
        foreach (var b in loader.Epoch(0))
        {
            Thread.Sleep(200);   // slow consumer: the producer must block after 2 queued + 1 in hand
            Assert.InRange(Volatile.Read(ref calls), 10, (1 + 2 + 1) * 10);
            break;
        }
        int after = Volatile.Read(ref calls);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref calls));   // producer joined on break
        Assert.True(after < 400);
    }

    [Fact]
    public void Dispose_StopsTheProducer_AndFurtherUseThrows()
    {
        var ds = SyntheticImages.Create(400, 1, 2, 2, seed: 10);
        int calls = 0;
        var t = Transforms.Lambda("count", (_, _, _) => Interlocked.Increment(ref calls));
        var loader = new DataLoader(ds, 10, false, 0, t, prefetch: 3);
        using var e = loader.Epoch(0).GetEnumerator();
        Assert.True(e.MoveNext());
        loader.Dispose();
        int after = Volatile.Read(ref calls);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref calls));
        Assert.True(after < 400);
        Assert.Throws<ObjectDisposedException>(() => e.MoveNext());
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(1));
        Assert.Throws<ObjectDisposedException>(() => loader.GetBatch(0, 0));
        loader.Dispose();   // idempotent
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void Cancellation_StopsTheEpochWithOperationCanceled(int prefetch)
    {
        var ds = SyntheticImages.Create(400, 1, 2, 2, seed: 12);
        int calls = 0;
        var t = Transforms.Lambda("count", (_, _, _) => Interlocked.Increment(ref calls));
        using var loader = new DataLoader(ds, 10, false, 0, t, prefetch: prefetch);
        using var cts = new CancellationTokenSource();
        var got = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var b in loader.Epoch(1, 0, cts.Token)) { got++; cts.Cancel(); }
        });
        Assert.Equal(1, got);
        int after = Volatile.Read(ref calls);
        Thread.Sleep(50);
        Assert.Equal(after, Volatile.Read(ref calls));
        Assert.Equal(40, loader.Epoch(1).Count());   // the loader itself stays usable
    }

    [Fact]
    public void Runner_DoesNotAllocatePerSample()
    {
        var ds = SyntheticImages.Create(64, 3, 32, 32, seed: 13);
        var t = Transforms.Compose(Transforms.RandomRescale(0.9, 1.1), Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip(),
            Transforms.ToFloat(), Transforms.Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2]), Transforms.Standardize());
        var runner = t.CreateRunner(ImageShape.Of(ds));
        var dst = new float[runner.OutputShape.Size];
        for (int i = 0; i < ds.Count; i++) runner.Apply(ds.Image(i), dst, SeedMix.Sample(0, 0, i));   // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < ds.Count; i++) runner.Apply(ds.Image(i), dst, SeedMix.Sample(0, 1, i));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Constructor_ValidatesArguments()
    {
        var ds = SyntheticImages.Create(10, 1, 4, 4, seed: 11);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 0, false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 2, false, 0, prefetch: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 2, false, 0) { Workers = 0 });
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(ds, 2, false, 0, Transforms.Normalize([0.5, 0.5, 0.5], [1, 1, 1])));
        Assert.Contains("1 channels", e.Message);
        using var l = new DataLoader(ds, 2, false, 0, Transforms.CenterCrop(2));
        Assert.Equal(new ImageShape(1, 2, 2), l.OutputShape);
        Assert.Contains("batch_size=2", l.ToString());
    }
}
