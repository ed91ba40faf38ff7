using ResearchKit.Tensors;

namespace ResearchKit.Robustness;

/// <summary>Per-image L∞ and L2 norms of a perturbation x_adv − x, accumulated over batches (means and maxima over images).</summary>
public sealed class PerturbationNorms
{
    private double _sumInf, _sumL2, _maxInf, _maxL2;

    /// <summary>Images accumulated.</summary>
    public int Count { get; private set; }

    /// <summary>Mean over images of ‖δ‖∞ (0 before any image).</summary>
    public double MeanLInf => Count == 0 ? 0 : _sumInf / Count;
    /// <summary>Largest ‖δ‖∞.</summary>
    public double MaxLInf => _maxInf;
    /// <summary>Mean over images of ‖δ‖₂.</summary>
    public double MeanL2 => Count == 0 ? 0 : _sumL2 / Count;
    /// <summary>Largest ‖δ‖₂.</summary>
    public double MaxL2 => _maxL2;

    /// <summary>Adds the images of a batch: <paramref name="adversarial"/> and <paramref name="clean"/> have the same shape (N, …).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void Add(Tensor clean, Tensor adversarial)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(adversarial);
        if (!clean.Shape.ToArray().SequenceEqual(adversarial.Shape.ToArray()))
            throw new ArgumentException($"PerturbationNorms: the adversarial batch has shape [{string.Join(", ", adversarial.Shape.ToArray())}], the clean one [{string.Join(", ", clean.Shape.ToArray())}]; an attack must keep the input shape.", nameof(adversarial));
        float[] x = clean.Contiguous().ToArray(), a = adversarial.Contiguous().ToArray();
        int n = clean.Shape[0], per = n == 0 ? 0 : x.Length / n;
        for (int i = 0; i < n; i++)
        {
            double inf = 0, sq = 0;
            for (int k = i * per; k < (i + 1) * per; k++)
            {
                double d = (double)a[k] - x[k];   // in double: the float difference of two floats is exact, its square need not be
                inf = Math.Max(inf, Math.Abs(d));
                sq += d * d;
            }
            double l2 = Math.Sqrt(sq);
            _sumInf += inf; _sumL2 += l2;
            _maxInf = Math.Max(_maxInf, inf); _maxL2 = Math.Max(_maxL2, l2);
            Count++;
        }
    }
}
