namespace ResearchKit.Training;

/// <summary>A weighted running mean accumulated in double (e.g. loss per sample, NLL per token).</summary>
public sealed class RunningMean
{
    /// <summary>Weighted sum of the values.</summary>
    public double Sum { get; private set; }

    /// <summary>Total weight (number of samples/tokens).</summary>
    public double Weight { get; private set; }

    /// <summary>The mean, NaN before the first value.</summary>
    public double Mean => Weight > 0 ? Sum / Weight : double.NaN;

    /// <summary>Adds <paramref name="value"/> with <paramref name="weight"/> (e.g. a batch-mean loss weighted by the batch size).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative or NaN.</exception>
    public void Add(double value, double weight = 1)
    {
        if (!(weight >= 0)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "RunningMean.Add: the weight must be a non-negative number (a sample or token count).");
        Sum += value * weight;
        Weight += weight;
    }

    /// <summary>Adds an already weighted sum (e.g. a loss computed with reduction "sum" over <paramref name="weight"/> samples).</summary>
    public void AddSum(double sum, double weight)
    {
        if (!(weight >= 0)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "RunningMean.AddSum: the weight must be a non-negative number (a sample or token count).");
        Sum += sum;
        Weight += weight;
    }

    /// <summary>Forgets everything.</summary>
    public void Reset() { Sum = 0; Weight = 0; }
}
