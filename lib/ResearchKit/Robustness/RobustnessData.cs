using ResearchKit.Data;
using ResearchKit.Tensors;

namespace ResearchKit.Robustness;

/// <summary>
/// The images an evaluation attacks, already through the target's input pipeline (e.g. /255), with the description that keys
/// the cache: dataset, split, count and the seed of the subset.
/// </summary>
/// <param name="Dataset">Dataset name (e.g. "cifar100", "fashion-mnist").</param>
/// <param name="Split">"test" or "train".</param>
/// <param name="Seed">Seed of the subset's selection (ignored when the subset is the whole split in order).</param>
/// <param name="Images">Inputs (N, …) Float32 in the threat model's range.</param>
/// <param name="Labels">True labels (N) Int64.</param>
public sealed record RobustnessData(string Dataset, string Split, long Seed, Tensor Images, Tensor Labels)
{
    /// <summary>Number of images.</summary>
    public int Count => Images.Shape[0];

    /// <summary>The subset's description as recorded in the cache key.</summary>
    public IReadOnlyDictionary<string, object?> Key => new Dictionary<string, object?>
    {
        ["dataset"] = Dataset, ["split"] = Split, ["count"] = Count, ["seed"] = Seed,
    };

    /// <summary>
    /// <paramref name="count"/> images of <paramref name="dataset"/> through <paramref name="transform"/>: the whole split in
    /// order when <paramref name="count"/> is its size, otherwise the first <paramref name="count"/> of a permutation drawn from
    /// <paramref name="seed"/> (the same seed gives the same images).
    /// </summary>
    /// <param name="dataset">The split's images.</param>
    /// <param name="transform">The target's test pipeline (no augmentation), e.g. <c>DlQatRecipe.InputTransforms(…).Test</c>.</param>
    /// <param name="name">Dataset name for the cache key (e.g. "fashion-mnist").</param>
    /// <param name="split">"test" (default) or "train".</param>
    /// <param name="count">How many images (null: all).</param>
    /// <param name="seed">Selection seed.</param>
    /// <exception cref="ArgumentOutOfRangeException">count is not in [1, dataset size].</exception>
    public static RobustnessData From(ImageDataset dataset, ImageTransform transform, string name, string split = "test", int? count = null, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        int n = count ?? dataset.Count;
        if (n < 1 || n > dataset.Count)
            throw new ArgumentOutOfRangeException(nameof(count), n, $"RobustnessData.From: count must be in [1, {dataset.Count}] (the size of {dataset.Name}).");
        var indices = Enumerable.Range(0, dataset.Count).ToArray();
        if (n < dataset.Count)
        {
            var g = new Generator(seed);
            for (int i = indices.Length - 1; i > 0; i--)
            {
                int j = (int)g.NextInt64(0, i + 1);
                (indices[i], indices[j]) = (indices[j], indices[i]);
            }
        }
        var subset = dataset.Subset(indices[..n], $"{dataset.Name} ({n} for robustness)");
        using var loader = new DataLoader(subset, Math.Min(n, 1000), shuffle: false, seed, transform);
        var batches = loader.Epoch(0).ToList();
        return new RobustnessData(name, split, n < dataset.Count ? seed : 0,
            Tensor.Cat(batches.Select(b => b.Images).ToList()), Tensor.Cat(batches.Select(b => b.Labels).ToList()));
    }
}
