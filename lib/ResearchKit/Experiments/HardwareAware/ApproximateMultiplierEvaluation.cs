using ResearchKit.Quantization.Approximate;
using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Accuracy of a trained float model when every convolution and linear layer multiplies through an approximate integer
/// multiplier (<see cref="ApproximateModel.Replace"/>), one stored evaluation per multiplier plus one of the float model, so a
/// notebook re-execution reads them from the run store.
/// </summary>
/// <remarks>Key of each evaluation: the model's identity (run id and config hash), the multiplier (name, type, width), the input
/// mode, the data handed in (<see cref="RobustnessData.Key"/>) and how many of its first images are used, the batch size and the code version (<see cref="RunConfig"/>); a change to
/// any of them evaluates again. The first <see cref="ApproximateMultiplierGrid.Images"/> images of the data are used.</remarks>
public sealed class ApproximateMultiplierEvaluation
{
    private readonly IRunStore _store;
    private readonly ExperimentRunOptions _options;
    private readonly string? _codeVersion;

    /// <summary>Creates an evaluation storing into <paramref name="store"/>.</summary>
    /// <param name="store">The run store.</param>
    /// <param name="options">Reuse of stale results and where notices go.</param>
    /// <param name="codeVersion">Overrides the code version in the key (null: <see cref="RunConfig.DefaultCodeVersion"/>; for tests).</param>
    public ApproximateMultiplierEvaluation(IRunStore store, ExperimentRunOptions? options = null, string? codeVersion = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new ExperimentRunOptions();
        _codeVersion = codeVersion;
    }

    /// <summary>The config one evaluation is stored under (<paramref name="multiplier"/> null: the float model).</summary>
    public static IReadOnlyDictionary<string, object?> Config(EvaluatedModel model, IApproximateMultiplier? multiplier, RobustnessData data,
        ApproximateMultiplierGrid grid)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(grid);
        model.Validated();
        grid.Validated();
        return new Dictionary<string, object?>
        {
            ["kind"] = "approximate-multiplier-evaluation",
            ["model"] = model.Identity,
            ["multiplier"] = multiplier is null ? ApproximateMultiplierRow.FloatName : new Dictionary<string, object?>
            {
                ["name"] = multiplier.Name, ["type"] = multiplier.GetType().FullName, ["bits"] = multiplier.Bits,
            },
            ["input_mode"] = multiplier is null ? null : grid.InputMode.ToString(),
            ["data"] = data.Key,                 // the whole set handed in; its first `images` are evaluated
            ["images"] = Subset(data, grid).Count,
            ["batch_size"] = grid.BatchSize,
            ["metric"] = "top-1 accuracy, every Conv2d/Linear through the multiplier (weights per-channel, inputs per batch)",
        };
    }

    /// <summary>The float row, then one row per multiplier of <paramref name="grid"/>, each evaluated or read from the store.</summary>
    /// <exception cref="ArgumentException">A bad grid, or fewer images than the grid asks for.</exception>
    public IReadOnlyList<ApproximateMultiplierRow> Evaluate(EvaluatedModel model, RobustnessData data, ApproximateMultiplierGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var rows = new List<ApproximateMultiplierRow> { EvaluateOne(model, null, data, grid) };
        foreach (var m in grid.Validated().Multipliers) rows.Add(EvaluateOne(model, m, data, grid));
        return rows;
    }

    /// <summary>One row: the model through <paramref name="multiplier"/> (null: in float).</summary>
    public ApproximateMultiplierRow EvaluateOne(EvaluatedModel model, IApproximateMultiplier? multiplier, RobustnessData data, ApproximateMultiplierGrid grid)
    {
        var cfg = RunConfig.From(Config(model, multiplier, data, grid), _codeVersion);
        var subset = Subset(data, grid);
        var run = ExperimentRunner.Run(_store, cfg.Json, cfg.Hash, ctx =>
        {
            var net = model.Load() ?? throw new InvalidOperationException("EvaluatedModel.Load returned null; return a fresh float model.");
            if (multiplier is not null) ApproximateModel.Replace(net, multiplier, grid.InputMode);
            double acc = Accuracy(net, subset, grid.BatchSize);
            ctx.LogMetric(0, "eval/accuracy", acc);
            return new Dictionary<string, double> { ["accuracy"] = acc, ["images"] = subset.Count, ["batch_size"] = grid.BatchSize };
        }, _options);
        if (!run.FinalMetrics.TryGetValue("accuracy", out double accuracy))
            throw new InvalidOperationException($"ApproximateMultiplierEvaluation: stored run {run.RunId} lacks 'accuracy'; delete it from the store to evaluate again.");
        return new ApproximateMultiplierRow(multiplier?.Name ?? ApproximateMultiplierRow.FloatName, accuracy, subset.Count, grid.BatchSize,
            multiplier is null ? null : MultiplierErrorStats.Compute(multiplier), run.RunId, run.FromCache);
    }

    /// <summary>Top-1 accuracy of <paramref name="model"/> in eval mode, <paramref name="batchSize"/> images per forward pass.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, RobustnessData data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.Eval();
        long correct = 0;
        using var noGrad = Torch.NoGrad();
        for (int s = 0; s < data.Count; s += batchSize)
        {
            int len = Math.Min(batchSize, data.Count - s);
            correct += RobustnessEvaluator.Correct(model.Forward(data.Images.Narrow(0, s, len)), data.Labels.Narrow(0, s, len));
        }
        return (double)correct / data.Count;
    }

    private static RobustnessData Subset(RobustnessData data, ApproximateMultiplierGrid grid)
    {
        if (data.Count < grid.Images)
            throw new ArgumentException($"ApproximateMultiplierEvaluation: the grid asks for {grid.Images} images but the data hold {data.Count}; load more or lower Images.", nameof(data));
        return data.Count == grid.Images ? data
            : data with { Images = data.Images.Narrow(0, 0, grid.Images), Labels = data.Labels.Narrow(0, 0, grid.Images) };
    }
}
