using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// An iterative attack (PGD, SPSA, …) whose iterate after t steps does not depend on the total number of steps, so one
/// run of the longest budget yields the results of every shorter one (the thesis' grids over iterations, Tables 6.2–6.8).
/// </summary>
public interface IIterativeAttack : IAttack
{
    /// <summary>Number of iterations <see cref="IAttack.Perturb"/> runs.</summary>
    int Iterations { get; }

    /// <summary>
    /// The adversarial batch after each of <paramref name="iterations"/> steps (ascending, each ≥ 1), computed in one run of
    /// max(<paramref name="iterations"/>) steps; element i equals <c>Perturb</c> with <c>Iterations = iterations[i]</c> and the same seed.
    /// </summary>
    IReadOnlyList<Tensor> PerturbAt(Tensor inputs, Tensor labels, IReadOnlyList<int> iterations);
}
