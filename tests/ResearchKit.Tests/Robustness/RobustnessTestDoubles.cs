using ResearchKit.Attacks;
using ResearchKit.Tensors;

namespace ResearchKit.Tests.Robustness;

/// <summary>Scores = the inputs themselves (N, C): the prediction is the largest input coordinate.</summary>
internal sealed class IdentityOracle : IScoreOracle
{
    public long Queries { get; private set; }
    public Tensor Scores(Tensor inputs) { Queries += inputs.Shape[0]; return inputs.Clone(); }
}

/// <summary>
/// A test-only iterative attack: after t steps, coordinate (label + 1) mod C of each selected row is raised by
/// min(t·Step, ε) (so it overtakes a 1 once t·Step &gt; 1); rows not selected stay clean. One query per row per step.
/// </summary>
internal sealed class ShiftAttack(float step, int iterations, Func<int, bool>? rows = null, float epsilon = 2f) : IIterativeAttack
{
    public int PerturbCalls { get; private set; }
    public string Name => "Shift";
    public ThreatModel Threat { get; } = new(AttackNorm.LInf, epsilon, -10f, 10f);
    public long Queries { get; private set; }
    public int Iterations => iterations;
    public IReadOnlyDictionary<string, object?> Config => new Dictionary<string, object?> { ["step"] = step, ["iterations"] = iterations };

    public Tensor Perturb(Tensor inputs, Tensor labels) => PerturbAt(inputs, labels, [iterations])[0];

    public IReadOnlyList<Tensor> PerturbAt(Tensor inputs, Tensor labels, IReadOnlyList<int> budgets)
    {
        PerturbCalls++;
        int n = inputs.Shape[0], c = inputs.Shape[1];
        var x = inputs.ToArray();
        var y = labels.ToInt64Array();
        Queries += (long)n * budgets.Max();
        return budgets.Select(t =>
        {
            var a = (float[])x.Clone();
            for (int i = 0; i < n; i++)
                if (rows?.Invoke(i) ?? true) a[i * c + (int)((y[i] + 1) % c)] += Math.Min(t * step, Threat.Epsilon);
            return Tensor.FromArray(a, n, c);
        }).ToList();
    }
}
