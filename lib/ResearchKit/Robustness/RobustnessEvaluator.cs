using System.Diagnostics;
using System.Globalization;
using ResearchKit.Attacks;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Training;

namespace ResearchKit.Robustness;

/// <summary>
/// Attacks a target on a set of images and measures clean and adversarial accuracy (through the target's scores), the
/// queries spent and the perturbation norms; every result is cached in the run store like a recipe run.
/// </summary>
/// <remarks>
/// <para><b>Cache key.</b> An evaluation is a run whose config holds the target's <see cref="RobustnessTarget.Identity"/>, the
/// attack's name, threat model and <see cref="IAttack.Config"/>, the data subset (<see cref="RobustnessData.Key"/>: dataset,
/// split, count, seed), the batch size, the iteration budgets of <see cref="EvaluateAt"/>, and the code version
/// (<see cref="RunConfig"/>). The same request is answered from the store without attacking; a change to any of these
/// attacks again. A result computed by another code version is stale: it is not returned as current (the evaluation runs
/// again) unless the runner options ask to reuse it, and then <see cref="RobustnessResult.StaleCodeVersion"/> says so,
/// exactly as <see cref="ExperimentRunner"/> does for training runs.</para>
/// <para><b>Secrets.</b> The config is stored in clear text. Attack configs never hold secrets (<see cref="IAttack.Config"/>);
/// a target defended by a secret (the Ensemble Hash Defense's key) is identified by a fingerprint of the key, never the key.</para>
/// <para>Queries: the attack's <see cref="IAttack.Queries"/> counted only while it perturbs, so the evaluator's own scoring of
/// clean and adversarial images (which may go through the same oracle) is not charged to the attack.</para>
/// </remarks>
public sealed class RobustnessEvaluator
{
    private readonly IRunStore _store;
    private readonly ExperimentRunOptions _options;
    private readonly string? _codeVersion;

    /// <summary>Creates an evaluator caching in <paramref name="store"/>.</summary>
    /// <param name="store">The run store (the one the recipes train into).</param>
    /// <param name="options">Reuse of stale results and where notices go (default: recompute, notices on standard output).</param>
    /// <param name="codeVersion">Overrides the code version recorded in the key (null: <see cref="RunConfig.DefaultCodeVersion"/>; for tests and tools).</param>
    public RobustnessEvaluator(IRunStore store, ExperimentRunOptions? options = null, string? codeVersion = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new ExperimentRunOptions();
        _codeVersion = codeVersion;
    }

    /// <summary>Images attacked per call of <see cref="IAttack.Perturb"/> (default 100; recorded in the key since a batch-wise random attack depends on it).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The config an evaluation is stored under (what <see cref="Evaluate"/> and <see cref="EvaluateAt"/> hash).</summary>
    /// <exception cref="ArgumentException">A white-box attack with a custom objective and no <c>ObjectiveName</c>.</exception>
    public IReadOnlyDictionary<string, object?> Config(RobustnessTarget target, IAttack attack, RobustnessData data, IReadOnlyList<int>? iterations = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(data);
        if (attack.Config.TryGetValue("objective", out var objective) && objective is Attacks.GradientAttack.UnnamedObjective)
            throw new ArgumentException($"RobustnessEvaluator: the {attack.Name} attack has an unnamed custom objective, so its cached results could be mistaken for another objective's; set ObjectiveName (e.g. new Pgd(…) {{ ObjectiveName = \"own loss: Gml\" }}).", nameof(attack));
        var t = attack.Threat;
        return new Dictionary<string, object?>
        {
            ["kind"] = "robustness-evaluation",
            ["target"] = target.Identity,
            ["attack"] = new Dictionary<string, object?>
            {
                ["name"] = attack.Name,
                ["threat"] = new Dictionary<string, object?>
                {
                    ["norm"] = t.Norm.ToString(), ["epsilon"] = t.Epsilon, ["clip_min"] = t.ClipMin, ["clip_max"] = t.ClipMax, ["targeted"] = t.Targeted,
                },
                ["config"] = attack.Config,
            },
            ["data"] = data.Key,
            ["batch_size"] = BatchSize,
            ["iterations"] = iterations?.ToArray(),
            ["metric"] = "accuracy of the target's argmax scores on clean and on its own adversarial images",
        };
    }

    /// <summary>Attacks every image once (or returns the stored result of the same request).</summary>
    /// <exception cref="ArgumentException">The data is empty, or images and labels disagree in count.</exception>
    public RobustnessResult Evaluate(RobustnessTarget target, IAttack attack, RobustnessData data)
    {
        var cfg = RunConfig.From(Config(target, attack, data), _codeVersion);
        var run = ExperimentRunner.Run(_store, cfg.Json, cfg.Hash, ctx =>
        {
            var m = Attack(target, attack, data, null);
            var r = m[0];
            ctx.LogMetric(0, "eval/adversarial_accuracy", r.Adversarial);
            return r.Metrics("");
        }, _options);
        return FromMetrics(run, target, attack, null, "");
    }

    /// <summary>
    /// One run of an iterative attack at max(<paramref name="iterations"/>) steps, with the snapshot after each budget
    /// (<see cref="IIterativeAttack.PerturbAt"/>): one result per budget, in the order given, stored as one evaluation.
    /// </summary>
    /// <exception cref="ArgumentException">No budget, a budget below 1, or duplicates.</exception>
    public IReadOnlyList<RobustnessResult> EvaluateAt(RobustnessTarget target, IIterativeAttack attack, RobustnessData data, IReadOnlyList<int> iterations)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        if (iterations.Count == 0 || iterations.Any(i => i < 1) || iterations.Distinct().Count() != iterations.Count)
            throw new ArgumentException($"RobustnessEvaluator.EvaluateAt: give distinct iteration budgets ≥ 1, e.g. [10, 20, 50, 100]; got [{string.Join(", ", iterations)}].", nameof(iterations));
        var sorted = iterations.Order().ToArray();
        var cfg = RunConfig.From(Config(target, attack, data, sorted), _codeVersion);
        var run = ExperimentRunner.Run(_store, cfg.Json, cfg.Hash, ctx =>
        {
            var m = Attack(target, attack, data, sorted);
            var all = new Dictionary<string, double>();
            for (int i = 0; i < sorted.Length; i++)
            {
                ctx.LogMetric(sorted[i], "eval/adversarial_accuracy", m[i].Adversarial);
                foreach (var kv in m[i].Metrics(Prefix(sorted[i]))) all[kv.Key] = kv.Value;
            }
            return all;
        }, _options);
        return iterations.Select(i => FromMetrics(run, target, attack, i, Prefix(i))).ToList();
    }

    private static string Prefix(int iterations) => "it" + iterations.ToString(CultureInfo.InvariantCulture) + "/";

    private sealed record Measured(int Images, double Clean, double Adversarial, long Queries, PerturbationNorms Norms, double Seconds)
    {
        public Dictionary<string, double> Metrics(string prefix) => new()
        {
            [prefix + "images"] = Images,
            [prefix + "clean_accuracy"] = Clean,
            [prefix + "adversarial_accuracy"] = Adversarial,
            [prefix + "queries"] = Queries,
            [prefix + "linf_mean"] = Norms.MeanLInf,
            [prefix + "linf_max"] = Norms.MaxLInf,
            [prefix + "l2_mean"] = Norms.MeanL2,
            [prefix + "l2_max"] = Norms.MaxL2,
            [prefix + "wall_seconds"] = Seconds,
        };
    }

    // Attacks batch by batch; one Measured per budget (one element for a plain attack).
    private List<Measured> Attack(RobustnessTarget target, IAttack attack, RobustnessData data, int[]? budgets)
    {
        int n = data.Count;
        if (n == 0) throw new ArgumentException("RobustnessEvaluator: the data holds no image; pass a non-empty subset.", nameof(data));
        if (data.Labels.Shape[0] != n)
            throw new ArgumentException($"RobustnessEvaluator: {n} images but {data.Labels.Shape[0]} labels; give one label per image.", nameof(data));
        int k = budgets?.Length ?? 1;
        var sw = Stopwatch.StartNew();
        long clean = 0, queries = 0;
        var adv = new long[k];
        var norms = Enumerable.Range(0, k).Select(_ => new PerturbationNorms()).ToArray();
        var iterative = attack as IIterativeAttack;
        for (int start = 0; start < n; start += BatchSize)
        {
            int len = Math.Min(BatchSize, n - start);
            var x = data.Images.Narrow(0, start, len);
            var y = data.Labels.Narrow(0, start, len);
            clean += Correct(target.Scores.Scores(x), y);
            long before = attack.Queries;
            IReadOnlyList<Tensor> outs = budgets is null ? [attack.Perturb(x, y)]
                : iterative!.PerturbAt(x, y, budgets);
            queries += attack.Queries - before;
            if (outs.Count != k)
                throw new InvalidOperationException($"RobustnessEvaluator: {attack.Name}.PerturbAt returned {outs.Count} batches for {k} budgets; an iterative attack returns one per budget.");
            for (int i = 0; i < k; i++)
            {
                norms[i].Add(x, outs[i]);
                adv[i] += Correct(target.Scores.Scores(outs[i]), y);
            }
        }
        double seconds = sw.Elapsed.TotalSeconds;
        return Enumerable.Range(0, k).Select(i => new Measured(n, (double)clean / n, (double)adv[i] / n, queries, norms[i], seconds)).ToList();
    }

    /// <summary>Number of rows of <paramref name="scores"/> (N, C) whose argmax equals the label.</summary>
    public static long Correct(Tensor scores, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Shape.Count != 2 || scores.Shape[0] != labels.Shape[0])
            throw new ArgumentException($"RobustnessEvaluator: scores must be (N, C) with N = {labels.Shape[0]} labels, got [{string.Join(", ", scores.Shape.ToArray())}].", nameof(scores));
        long[] pred, y = labels.ToInt64Array();
        using (Torch.NoGrad()) pred = scores.Argmax(1).ToInt64Array();
        long c = 0;
        for (int i = 0; i < y.Length; i++) if (pred[i] == y[i]) c++;
        return c;
    }

    private static RobustnessResult FromMetrics(RunResult run, RobustnessTarget target, IAttack attack, int? iterations, string prefix)
    {
        var m = run.FinalMetrics;
        double Get(string name) => m.TryGetValue(prefix + name, out var v) ? v
            : throw new InvalidOperationException($"RobustnessEvaluator: stored evaluation run {run.RunId} lacks metric '{prefix + name}'; delete that run from the store to evaluate again.");
        return new RobustnessResult(target.Identity, attack.Name, iterations, (int)Get("images"), Get("clean_accuracy"), Get("adversarial_accuracy"),
            (long)Get("queries"), Get("linf_mean"), Get("linf_max"), Get("l2_mean"), Get("l2_max"), Get("wall_seconds"))
        {
            RunId = run.RunId, FromCache = run.FromCache, StaleCodeVersion = run.StaleCodeVersion,
        };
    }
}
