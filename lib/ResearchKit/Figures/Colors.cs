using System.Globalization;

namespace ResearchKit.Figures;

/// <summary>Colour helpers for translucent fills (error bands) derived from a series colour.</summary>
public static class Colors
{
    /// <summary>
    /// <paramref name="color"/> as <c>rgba(r,g,b,alpha)</c> when it is <c>#rgb</c>, <c>#rrggbb</c> or <c>rgb(...)</c>;
    /// null for other CSS colours (named colours), where callers fall back to trace opacity.
    /// </summary>
    public static string? WithAlpha(string color, double alpha)
    {
        ArgumentNullException.ThrowIfNull(color);
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Colors.WithAlpha: alpha must be in [0, 1].");
        string a = alpha.ToString("0.###", CultureInfo.InvariantCulture);
        var c = color.Trim();
        if (c.StartsWith('#'))
        {
            var hex = c.AsSpan(1);
            if (hex.Length == 3)
            {
                if (!TryHex(hex[0..1], out int r) || !TryHex(hex[1..2], out int g) || !TryHex(hex[2..3], out int b)) return null;
                return $"rgba({r * 17},{g * 17},{b * 17},{a})";
            }
            if (hex.Length == 6)
            {
                if (!TryHex(hex[0..2], out int r) || !TryHex(hex[2..4], out int g) || !TryHex(hex[4..6], out int b)) return null;
                return $"rgba({r},{g},{b},{a})";
            }
            return null;
        }
        if (c.StartsWith("rgb(", StringComparison.OrdinalIgnoreCase) && c.EndsWith(')'))
            return "rgba(" + c[4..^1] + "," + a + ")";
        return null;
    }

    private static bool TryHex(ReadOnlySpan<char> s, out int value) =>
        int.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
