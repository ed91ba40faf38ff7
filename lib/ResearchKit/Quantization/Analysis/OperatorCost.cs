namespace ResearchKit.Quantization.Analysis;

/// <summary>Energy and silicon area of one arithmetic operation (45 nm, 0.9 V scale of Horowitz, ISSCC 2014).</summary>
/// <param name="EnergyPj">Energy per operation in picojoules.</param>
/// <param name="AreaUm2">Area of the operator in µm².</param>
public readonly record struct OperatorCost(double EnergyPj, double AreaUm2)
{
    /// <summary>The cost of doing both operations (e.g. a multiply and an add: one MAC).</summary>
    public static OperatorCost operator +(OperatorCost a, OperatorCost b) => new(a.EnergyPj + b.EnergyPj, a.AreaUm2 + b.AreaUm2);
}
