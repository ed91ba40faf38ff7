namespace ResearchKit.Quantization.Approximate;

/// <summary>The exact multiplier, a·b: the reference every approximate multiplier is measured against.</summary>
public sealed class ExactMultiplier : SignMagnitudeMultiplier
{
    /// <summary>Creates an exact multiplier.</summary>
    /// <param name="bits">Magnitude width (default 8).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is outside [2, 30].</exception>
    public ExactMultiplier(int bits = 8) : base(bits) { }

    /// <inheritdoc/>
    public override string Name => "Exact";

    /// <inheritdoc/>
    protected override long MultiplyMagnitudes(long a, long b) => a * b;
}
