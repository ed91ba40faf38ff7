using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Tests.Training;

/// <summary>A linearly separable 2-class problem in 8 dimensions and a small MLP, for trainer tests.</summary>
internal sealed class SyntheticTask
{
    public const int Features = 8;
    public readonly float[] X;
    public readonly long[] Y;
    public readonly int N;

    /// <summary><paramref name="seed"/> picks the separating plane; <paramref name="split"/> picks the samples (train/test of one problem).</summary>
    public SyntheticTask(int n, int seed, int split = 0)
    {
        N = n;
        var plane = new Random(seed);
        var w = new float[Features];
        for (int j = 0; j < Features; j++) w[j] = (float)(plane.NextDouble() * 2 - 1);
        var rnd = new Random(seed * 7919 + split + 1);
        X = new float[n * Features];
        Y = new long[n];
        for (int i = 0; i < n; i++)
        {
            double dot;
            do
            {
                dot = 0;
                for (int j = 0; j < Features; j++) { X[i * Features + j] = (float)(rnd.NextDouble() * 2 - 1); dot += X[i * Features + j] * w[j]; }
            } while (Math.Abs(dot) < 0.1); // a margin keeps the problem cleanly separable
            Y[i] = dot > 0 ? 1 : 0;
        }
    }

    public int BatchesPerEpoch(int batchSize) => N / batchSize; // drop_last

    /// <summary>Epoch <paramref name="epoch"/> from batch <paramref name="start"/>: order from (seed, epoch), like the DataLoader;
    /// with <paramref name="noise"/>, each batch gets Gaussian jitter drawn lazily from that generator (so its state matters on resume).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Epoch(int epoch, int start, int batchSize, int seed = 7, Generator? noise = null)
    {
        var perm = Enumerable.Range(0, N).ToArray();
        new Random(seed * 1009 + epoch).Shuffle(perm);
        for (int b = start; b < BatchesPerEpoch(batchSize); b++)
        {
            var xs = new float[batchSize * Features];
            var ys = new long[batchSize];
            for (int i = 0; i < batchSize; i++)
            {
                int k = perm[b * batchSize + i];
                Array.Copy(X, k * Features, xs, i * Features, Features);
                ys[i] = Y[k];
            }
            var x = Tensor.FromArray(xs, batchSize, Features);
            if (noise is not null) x = x + Tensor.Randn([batchSize, Features], noise) * 0.05f;
            yield return (x, Tensor.FromArray(ys, batchSize));
        }
    }

    /// <summary>All samples as batches of <paramref name="batchSize"/> (evaluation).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> All(int batchSize)
    {
        for (int s = 0; s < N; s += batchSize)
        {
            int m = Math.Min(batchSize, N - s);
            yield return (Tensor.FromArray(X[(s * Features)..((s + m) * Features)], m, Features), Tensor.FromArray(Y[s..(s + m)], m));
        }
    }

    public static Sequential Mlp(long seed, Generator? dropout = null, float p = 0.1f)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(Features, 32, generator: g), new ReLU(), new Dropout(p, dropout ?? new Generator(seed + 1)), new Linear(32, 2, generator: g));
    }
}
