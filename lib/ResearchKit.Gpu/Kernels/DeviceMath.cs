using ILGPU;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// The transcendental functions the kernels use, written in plain arithmetic so that every ILGPU backend compiles the same
/// code: ILGPU's PTX backend has no <c>exp</c>, <c>log</c> or <c>pow</c> for floats (kernels that call <c>MathF.Exp</c>
/// fail to compile on CUDA) and maps <c>sin</c>/<c>cos</c>/<c>tanh</c> to the hardware's approximate instructions, whose
/// error near zero or for large arguments would make device gradients differ from the CPU engine's by more than rounding.
/// Each float function evaluates in double precision (range reduction, then a polynomial well below float's rounding
/// error) and rounds once to float, so the result is the correctly rounded value except in rare near-halfway cases.
/// The same code runs on ILGPU's CPU accelerator, where CI tests it against the double-precision <see cref="Math"/> functions.
/// </summary>
public static class DeviceMath
{
    private const double Ln2 = 0.69314718055994530942;
    private const double InvLn2 = 1.44269504088896340736;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double TwoOverPi = 0.63661977236758134308;
    private const double PiO2 = 1.57079632679489661923;
    // π/2 in three 33-bit parts (fdlibm's pio2_1, pio2_2, pio2_3): k·part is exact for |k| < 2^20.
    private const double PiO2Part1 = 1.57079632673412561417e+00;
    private const double PiO2Part2 = 6.07710050630396597660e-11;
    private const double PiO2Part3 = 2.02226624871116645580e-21;

    /// <summary>e^x in double for any double x (NaN, ±∞ and overflow as IEEE); relative error below 2e-14 (k·ln 2's rounding at |x| near 709).</summary>
    public static double ExpD(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x > 709.78) return double.PositiveInfinity;
        if (x < -745.2) return 0.0;
        double k = Math.Floor(x * InvLn2 + 0.5);
        double r = x - k * Ln2;                       // |r| ≤ ln2/2 (+ rounding)
        // Taylor series to r^12/12!: the first term left out is below 3e-17 relative on |r| ≤ 0.35.
        double p = 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        // 2^k in two halves: k reaches −1075 on the way to the subnormals, below the smallest normal exponent.
        int ki = (int)k;
        int half = ki / 2;
        return p * Pow2(half) * Pow2(ki - half);
    }

    /// <summary>ln x in double for positive finite x (0 → −∞, negative or NaN → NaN, +∞ → +∞), relative error about 1e-15.</summary>
    public static double LogD(double x)
    {
        if (!(x > 0.0)) return x == 0.0 ? double.NegativeInfinity : double.NaN;
        if (x == double.PositiveInfinity) return x;
        ulong bits = Interop.FloatAsInt(x);
        int e = (int)((bits >> 52) & 0x7FF);
        if (e == 0)
        {
            // A subnormal double: scale it into the normal range first.
            x *= 18014398509481984.0;                  // 2^54
            bits = Interop.FloatAsInt(x);
            e = (int)((bits >> 52) & 0x7FF) - 54;
        }
        e -= 1023;
        double m = Interop.IntAsFloat((bits & 0x000FFFFFFFFFFFFFUL) | 0x3FF0000000000000UL);   // in [1, 2)
        if (m > Sqrt2) { m *= 0.5; e++; }
        // ln m = 2 atanh f with f = (m − 1)/(m + 1), |f| ≤ 0.1716: the series to f^21 leaves below 1e-17.
        double f = (m - 1.0) / (m + 1.0);
        double s = f * f;
        double p = 1.0 / 21.0;
        p = p * s + 1.0 / 19.0;
        p = p * s + 1.0 / 17.0;
        p = p * s + 1.0 / 15.0;
        p = p * s + 1.0 / 13.0;
        p = p * s + 1.0 / 11.0;
        p = p * s + 1.0 / 9.0;
        p = p * s + 1.0 / 7.0;
        p = p * s + 1.0 / 5.0;
        p = p * s + 1.0 / 3.0;
        p = p * s + 1.0;
        return e * Ln2 + 2.0 * f * p;
    }

    /// <summary>e^x, as <see cref="MathF.Exp"/>.</summary>
    public static float Exp(float x) => (float)ExpD(x);

    /// <summary>ln x, as <see cref="MathF.Log(float)"/>.</summary>
    public static float Log(float x) => (float)LogD(x);

    /// <summary>The logistic function 1/(1 + e^−x).</summary>
    public static float Sigmoid(float x) => (float)(1.0 / (1.0 + ExpD(-(double)x)));

    /// <summary>tanh x, as <see cref="MathF.Tanh"/>.</summary>
    public static float Tanh(float x)
    {
        double a = Math.Abs((double)x);
        double t;
        if (a > 9.5) t = 1.0;                                   // tanh rounds to 1f from 9.01 on
        else if (a < 4e-4) t = a * (1.0 - a * a / 3.0);         // e^2a − 1 would cancel; the next term is below 1e-14
        else { double e = ExpD(2.0 * a); t = (e - 1.0) / (e + 1.0); }
        if (float.IsNaN(x)) return x;
        return x < 0 ? (float)-t : (float)t;
    }

    /// <summary>sin x, as <see cref="MathF.Sin"/>, for every float (Payne–Hanek reduction beyond |x| = 1.6e6).</summary>
    public static float Sin(float x) => (float)SinCos(x, 0);

    /// <summary>cos x, as <see cref="MathF.Cos"/>, for every float (Payne–Hanek reduction beyond |x| = 1.6e6).</summary>
    public static float Cos(float x) => (float)SinCos(x, 1);

    /// <summary>x^y with the IEEE 754 / <see cref="MathF.Pow"/> special cases; the finite case as e^(y·ln|x|) in double.</summary>
    public static float Pow(float x, float y)
    {
        if (y == 0f || x == 1f) return 1f;
        if (float.IsNaN(x) || float.IsNaN(y)) return float.NaN;
        float ax = Math.Abs(x), ay = Math.Abs(y);
        if (ay == float.PositiveInfinity)
        {
            if (ax == 1f) return 1f;
            return (ax < 1f) == (y < 0f) ? float.PositiveInfinity : 0f;
        }
        bool yInteger = Math.Floor(y) == y;
        bool yOdd = yInteger && ay < 16777216f && ((long)y & 1L) == 1L;
        bool negative = x < 0f && yOdd;                        // the sign of the result (x is −0, −∞ or a negative finite)
        if (x < 0f && !yInteger && ax != float.PositiveInfinity) return float.NaN;
        if (ax == 0f || ax == float.PositiveInfinity)
        {
            // 0^y and ∞^y: ±0 or ±∞ by the sign of y (and of x for odd integers).
            bool huge = (ax == 0f) == (y < 0f);
            float mag = huge ? float.PositiveInfinity : 0f;
            return negative || (x == 0f && yOdd && (Interop.FloatAsInt(x) >> 31) != 0) ? -mag : mag;
        }
        double r = ExpD(y * LogD(ax));
        return negative ? (float)-r : (float)r;
    }

    /// <summary>Round half to even, as <see cref="MathF.Round(float)"/> (the default <c>MidpointRounding.ToEven</c>).</summary>
    public static float RoundHalfEven(float v)
    {
        float f = MathF.Floor(v);
        float d = v - f;
        if (d > 0.5f) return f + 1f;
        if (d == 0.5f && f * 0.5f != MathF.Floor(f * 0.5f)) return f + 1f;
        return f;
    }

    /// <summary>Truncation toward zero, as <see cref="MathF.Truncate"/>, from floor and ceiling (which every backend has).</summary>
    public static float Truncate(float v) => v < 0f ? MathF.Ceiling(v) : MathF.Floor(v);

    // 2/π = Σ c_i, each c_i 24 significant bits (exact bit patterns, from a 120-digit π).
    private static double TwoOverPiPiece(int i) => Interop.IntAsFloat(i switch
    {
        0 => 0x3FE45F3060000000UL,
        1 => 0x3E5B939100000000UL,
        2 => 0x3CB529FC00000000UL,
        3 => 0x3B43ABE880000000UL,
        4 => 0x39EEA69BA0000000UL,
        5 => 0x38681B6C40000000UL,
        6 => 0x36E2B32780000000UL,
        7 => 0x3550E41040000000UL,
        8 => 0x33EFCA2C60000000UL,
        _ => 0x32657BD760000000UL,
    });

    private static double Pow2(int k) => Interop.IntAsFloat((ulong)(k + 1023) << 52);

    // which = 0: sin, 1: cos (a quarter turn further).
    private static double SinCos(float x, int which)
    {
        if (float.IsNaN(x) || Math.Abs(x) == float.PositiveInfinity) return double.NaN;
        double xd = x, k, r;
        if (Math.Abs(xd) < 1.6e6)
        {
            k = Math.Floor(xd * TwoOverPi + 0.5);
            r = xd - k * PiO2Part1 - k * PiO2Part2 - k * PiO2Part3;   // |r| ≤ π/4 (+ rounding)
        }
        else
        {
            // Payne–Hanek for large floats: 2/π in 24-bit pieces c_i, so each x·c_i (24 × 24 bits) is exact in double,
            // and so is its remainder mod 4 (the quadrant only needs x·2/π mod 4). Summing the remainders leaves an
            // absolute error near 2^-48 quarter turns: sin and cos stay within about 1e-14 of the truth up to float's max.
            double s = 0;
            for (int i = 0; i < 10; i++)
            {
                double t = xd * TwoOverPiPiece(i);
                s += t - 4.0 * Math.Floor(t * 0.25);
            }
            s -= 4.0 * Math.Floor(s * 0.25);
            k = Math.Floor(s + 0.5);
            r = (s - k) * PiO2;
        }
        long q = ((long)k + which) & 3;
        double s2 = r * r;
        bool useCos = (q & 1) == 1;
        double v;
        if (useCos)
        {
            // cos r to r^16/16!: below 2e-15 on |r| ≤ π/4.
            double c = 1.0 / 20922789888000.0;
            c = c * s2 - 1.0 / 87178291200.0;
            c = c * s2 + 1.0 / 479001600.0;
            c = c * s2 - 1.0 / 3628800.0;
            c = c * s2 + 1.0 / 40320.0;
            c = c * s2 - 1.0 / 720.0;
            c = c * s2 + 1.0 / 24.0;
            c = c * s2 - 0.5;
            v = c * s2 + 1.0;
        }
        else
        {
            // sin r to r^17/17!: below 1e-16 relative on |r| ≤ π/4.
            double p = 1.0 / 355687428096000.0;
            p = p * s2 - 1.0 / 1307674368000.0;
            p = p * s2 + 1.0 / 6227020800.0;
            p = p * s2 - 1.0 / 39916800.0;
            p = p * s2 + 1.0 / 362880.0;
            p = p * s2 - 1.0 / 5040.0;
            p = p * s2 + 1.0 / 120.0;
            p = p * s2 - 1.0 / 6.0;
            v = r + r * s2 * p;
        }
        return q >= 2 ? -v : v;
    }
}
