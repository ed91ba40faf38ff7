namespace ResearchKit.Tensors.Nn;

/// <summary>
/// The error function and the standard normal density/CDF in double precision, for the exact GELU.
/// </summary>
/// <remarks>
/// .NET has no <c>erf</c>. Two Chebyshev expansions fitted offline (numpy, 4000 Chebyshev nodes, checked on a
/// 20001-point grid against Python's <c>math.erf</c>): |x| ≤ 2: erf(x) = x·P(x²), max error 2e-13;
/// 2 &lt; |x| &lt; 6: erf(x) = 1 − e^{−x²}/x·Q(1/x), max error 1e-15; beyond 6, erfc &lt; 2e-17 so erf = ±1.
/// </remarks>
internal static class SpecialFunctions
{
    private const double SmallLimit = 2.0, LargeLimit = 6.0;

    // erf(x)/x as a Chebyshev series in s = x²/2 − 1 on x ∈ [0, 2].
    private static readonly double[] Small =
    [
        0.7415552820424638, -0.30107107338659295, 0.06899483068983361, -0.01391627126472009,
        0.0024207995224355184, -0.000365863968582845, 4.86209844341272e-05, -5.749256556026095e-06,
        6.113243599327482e-07, -5.8991013434466574e-08, 5.20701088167844e-09, -4.23295889320059e-10,
        3.188328543152083e-11, -2.2343189068851488e-12, 1.4857470400354253e-13,
    ];

    // x·e^{x²}·erfc(x) as a Chebyshev series in u = 1/x mapped from [1/6, 1/2] to [−1, 1].
    private static readonly double[] Large =
    [
        0.5353732068439275, -0.02315541213946786, -0.0016392210759591523, 0.000222279962777476,
        -8.789999541305286e-06, -8.810395702536016e-07, 1.8418972302221856e-07, -1.4087246256033363e-08,
        -2.1633764717507838e-10, 2.106445639361068e-10, -2.979170820432942e-11, 1.8167499904984228e-12,
        1.4667804791046175e-13,
    ];

    /// <summary>erf(x) with absolute error below 1e-12.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (double.IsNaN(x)) return x;
        if (a <= SmallLimit) return x * Clenshaw(Small, x * x * (2.0 / (SmallLimit * SmallLimit)) - 1.0);
        if (a >= LargeLimit) return Math.Sign(x);
        double u = 1.0 / a;
        double s = (u - 1.0 / LargeLimit) / (0.5 * (1.0 / SmallLimit - 1.0 / LargeLimit)) - 1.0;
        double r = 1.0 - Math.Exp(-a * a) * u * Clenshaw(Large, s);
        return x < 0 ? -r : r;
    }

    /// <summary>Standard normal CDF Φ(x) = (1 + erf(x/√2))/2.</summary>
    public static double NormalCdf(double x) => 0.5 * (1.0 + Erf(x * 0.70710678118654752440));

    /// <summary>Standard normal density φ(x) = e^{−x²/2}/√(2π).</summary>
    public static double NormalPdf(double x) => 0.39894228040143267794 * Math.Exp(-0.5 * x * x);

    private static double Clenshaw(double[] c, double s)
    {
        double b1 = 0, b2 = 0, s2 = 2 * s;
        for (int k = c.Length - 1; k > 0; k--) (b1, b2) = (s2 * b1 - b2 + c[k], b1);
        return s * b1 - b2 + c[0];
    }
}
