namespace ResearchKit.Quantization.Analysis;

/// <summary>The families of number formats <see cref="FormatComparison"/> compares at one bit width.</summary>
public enum NumberFamily
{
    /// <summary>Fixed point Qm.n: a uniform grid of step 2^−n whose binary point is searched (<see cref="FixedPointQuantizer"/>).</summary>
    FixedPoint,

    /// <summary>Minifloat ExMy with a per-tensor power-of-two scale from max|x| (<see cref="Minifloat.MinifloatQuantizer"/>).</summary>
    Minifloat,

    /// <summary>Uniform integer with the scale max|x| / q_max (any real scale, DoReFa-like max scaling, no search).</summary>
    UniformInteger,
}
