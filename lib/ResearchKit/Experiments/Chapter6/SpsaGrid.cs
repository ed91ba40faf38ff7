using ResearchKit.Attacks;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// The SPSA attack grid of Tables 6.2–6.8 (§6.5.1, App. B): iterations (columns) × gradient-approximation batch n (rows),
/// untargeted L∞ at ε = 8/255, δ = 0.01, on a number of test images, for one preset.
/// </summary>
/// <param name="Images">Test images attacked (paper: the whole CIFAR-100 test set, §6.5.1).</param>
/// <param name="BatchSizes">Approximation batch sizes n, the rows (paper: 10, 128, 1024, §6.5.1).</param>
/// <param name="Iterations">Adam iterations, the columns (paper: 10, 20, 50, 100, §6.5.1); one run of the largest gives the others.</param>
/// <param name="Delta">SPSA's perturbation size δ (0.01, App. B).</param>
/// <param name="LearningRate">Adam's learning rate (not stated by the thesis; 0.01 as cleverhans).</param>
public sealed record SpsaGrid(int Images, IReadOnlyList<int> BatchSizes, IReadOnlyList<int> Iterations, float Delta = 0.01f, double LearningRate = 0.01)
{
    /// <summary>
    /// The grid of <paramref name="preset"/>. <b>paper</b>: the thesis' grid on the 10,000 test images. <b>quick</b>: 100 test
    /// images, n ∈ {10, 128}, every iteration count — n = 1024 costs 2,048 queries per image and step (about 8× the whole quick
    /// budget on 2 cores), so the strongest quick setting is n = 128 at 100 iterations. <b>smoke</b>: 8 images, n ∈ {2, 4}, 1–2 steps.
    /// </summary>
    public static SpsaGrid For(Preset preset) => preset switch
    {
        Preset.Smoke => new SpsaGrid(8, [2, 4], [1, 2]),
        Preset.Quick => new SpsaGrid(100, [10, 128], [10, 20, 50, 100]),
        _ => new SpsaGrid(10_000, [10, 128, 1024], [10, 20, 50, 100]),   // §6.5.1, Tables 6.2–6.8
    };

    /// <summary>The thesis' threat model: untargeted, L∞, ε = 8/255, inputs in [0, 1] (§6.5.1).</summary>
    public ThreatModel Threat => ThreatModel.Thesis;

    /// <summary>The SPSA attack with approximation batch <paramref name="n"/> on <paramref name="target"/>, run for the largest iteration count.</summary>
    /// <param name="target">What the attacker queries (a model's or a defense's scores).</param>
    /// <param name="n">Approximation batch size (pairs per step).</param>
    /// <param name="seed">Seed of the perturbations.</param>
    public Spsa Attack(IScoreOracle target, int n, long seed = 0) =>
        new(target, Threat, samples: n, iterations: Iterations.Max(), delta: Delta, learningRate: LearningRate, seed: seed);
}
