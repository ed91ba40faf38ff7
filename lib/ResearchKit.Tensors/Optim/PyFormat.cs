using System.Globalization;

namespace ResearchKit.Tensors.Optim;

/// <summary>Formats numbers the way Python's <c>str(float)</c> does, so error messages read like PyTorch's.</summary>
internal static class PyFormat
{
    /// <summary><c>-0.1</c> → "-0.1", <c>1</c> → "1.0", <c>1e-8</c> → "1e-08", NaN → "nan".</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E')) return s.Replace('E', 'e');
        return s.Contains('.') ? s : s + ".0";
    }
}
