using System.Globalization;
using System.Text;

namespace ResearchKit.Tensors.Nn;

/// <summary>Formats values the way Python's <c>repr</c> does, so <see cref="Module.ExtraRepr"/> prints like PyTorch.</summary>
internal static class PyRepr
{
    /// <summary>Shortest round-trip float in Python style: <c>0.1</c>, <c>1.0</c>, <c>1e-05</c>, <c>-inf</c>.</summary>
    public static string Float(float v)
    {
        if (float.IsNaN(v)) return "nan";
        if (float.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return float.IsNegative(v) ? "-0.0" : "0.0";
        // "E8" is not shortest; "R" is, so parse its digits and exponent and lay them out like Python.
        string r = Math.Abs(v).ToString("R", CultureInfo.InvariantCulture);
        int exp10 = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0) { exp10 = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture); r = r[..e]; }
        int dot = r.IndexOf('.');
        string intPart = dot < 0 ? r : r[..dot], frac = dot < 0 ? "" : r[(dot + 1)..];
        string digits = (intPart + frac).TrimStart('0');
        int lead = (intPart + frac).Length - digits.Length;       // zeros before the first significant digit
        int sciExp = intPart.Length - 1 - lead + exp10;             // value = d.ddd × 10^sciExp
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder();
        if (v < 0) sb.Append('-');
        if (sciExp >= -4 && sciExp < 16)
        {
            if (sciExp < 0) sb.Append("0.").Append('0', -sciExp - 1).Append(digits);
            else if (digits.Length <= sciExp + 1) sb.Append(digits).Append('0', sciExp + 1 - digits.Length).Append(".0");
            else sb.Append(digits, 0, sciExp + 1).Append('.').Append(digits, sciExp + 1, digits.Length - sciExp - 1);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(sciExp < 0 ? '-' : '+').Append(Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Python bool: <c>True</c>/<c>False</c>.</summary>
    public static string Bool(bool b) => b ? "True" : "False";

    /// <summary>An integral value as an int (<c>1</c>), otherwise as a float (<c>0.5</c>): PyTorch's int defaults such as Softplus' beta.</summary>
    public static string Number(float v) => v == MathF.Round(v) && MathF.Abs(v) < 1e15f ? ((long)v).ToString(CultureInfo.InvariantCulture) : Float(v);
}
