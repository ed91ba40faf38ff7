namespace ResearchKit.Figures;

/// <summary>
/// The axis pair of one subplot: assign <see cref="XAxis"/>/<see cref="YAxis"/> to a trace, style the axes with
/// <c>figure.Layout.GetXAxis(cell.Index)</c>. Obtain it from <see cref="Figure.Subplot"/>.
/// </summary>
/// <param name="Index">1-based axis number (1 → "x"/"y", 2 → "x2"/"y2", ...).</param>
public readonly record struct SubplotRef(int Index)
{
    /// <summary>The trace's x axis reference ("x", "x2", ...).</summary>
    public string XAxis => Index == 1 ? "x" : "x" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The trace's y axis reference ("y", "y2", ...).</summary>
    public string YAxis => Index == 1 ? "y" : "y" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
