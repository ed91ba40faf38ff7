using System.Diagnostics;
using ResearchKit.Data;

namespace ResearchKit.Benchmarks;

/// <summary>
/// DataLoader throughput on synthetic data of the real shapes: CIFAR-10 training augmentation (RandomCrop(32, 4) +
/// RandomHorizontalFlip + ToFloat + Normalize, batch 128) and MNIST (ToFloat + Normalize, batch 100). The consumer
/// does nothing, so this is the rate at which the loader can feed a training loop. Best of several epochs.
/// </summary>
internal static class LoaderBench
{
    public static void Run(TextWriter o)
    {
        o.WriteLine("DataLoader throughput (images/s, best epoch; consumer does no work)");
        var cifar = Synthetic(50_000, 3, 32, 32, seed: 1);
        var cifarTransform = Transforms.Compose(Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip(), Transforms.ToFloat(),
            Transforms.Normalize([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]));
        var mnist = Synthetic(60_000, 1, 28, 28, seed: 2);
        var mnistTransform = Transforms.ToFloat().Then(Transforms.Normalize([0.1307], [0.3081]));

        Measure(o, "CIFAR-10 50k crop+flip+normalize, batch 128, prefetch 2", cifar, 128, cifarTransform, prefetch: 2, workers: 1, epochs: 3);
        Measure(o, "CIFAR-10 50k crop+flip+normalize, batch 128, prefetch 0", cifar, 128, cifarTransform, prefetch: 0, workers: 1, epochs: 3);
        Measure(o, "CIFAR-10 50k crop+flip+normalize, batch 128, 2 workers ", cifar, 128, cifarTransform, prefetch: 2, workers: 2, epochs: 3);
        Measure(o, "MNIST 60k ToFloat+normalize, batch 100, prefetch 2     ", mnist, 100, mnistTransform, prefetch: 2, workers: 1, epochs: 3);
        Measure(o, "seq-MNIST 60k ToFloat+standardize, batch 100, prefetch 2", mnist, 100, SequentialMnist.Transform(), prefetch: 2, workers: 1, epochs: 3);
        TransformOnly(o, "CIFAR-10 transform only (1 thread, no batching)       ", cifar, cifarTransform);
    }

    private static ImageDataset Synthetic(int n, int c, int h, int w, int seed)
    {
        var rnd = new Random(seed);
        var px = new byte[n * c * h * w];
        rnd.NextBytes(px);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rnd.Next(10);
        return new ImageDataset("synthetic", px, labels, c, h, w, Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray());
    }

    private static void Measure(TextWriter o, string name, ImageDataset ds, int batch, ImageTransform t, int prefetch, int workers, int epochs)
    {
        using var loader = new DataLoader(ds, batch, shuffle: true, seed: 0, t, prefetch: prefetch) { Workers = workers };
        double best = double.MaxValue;
        long gen2 = GC.CollectionCount(2);
        for (int e = 0; e < epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            int n = 0;
            foreach (var b in loader.Epoch(e)) n += b.Count;
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            if (n != ds.Count) throw new InvalidOperationException("LoaderBench: epoch lost samples");
        }
        o.WriteLine($"  {name}: {ds.Count / best,10:N0} img/s  ({best * 1000:F0} ms/epoch, {GC.CollectionCount(2) - gen2} gen2 GCs in {epochs} epochs)");
    }

    private static void TransformOnly(TextWriter o, string name, ImageDataset ds, ImageTransform t)
    {
        var runner = t.CreateRunner(ImageShape.Of(ds));
        var dst = new float[runner.OutputShape.Size];
        double best = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < ds.Count; i++) runner.Apply(ds.Image(i), dst, SeedMix.Sample(0, rep, i));
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        o.WriteLine($"  {name}: {ds.Count / best,10:N0} img/s  ({best / ds.Count * 1e6:F2} µs/image)");
    }
}
