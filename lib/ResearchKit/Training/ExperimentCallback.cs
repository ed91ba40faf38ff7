using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>
/// Records a <see cref="Trainer"/> into an <see cref="ExperimentContext"/>: "train/loss", "train/accuracy", "train/lr"
/// every <see cref="TrainerOptions.LogEvery"/> steps (window means), "eval/{name}" for every evaluation metric, and a
/// full <see cref="TrainerCheckpoint"/> whenever the trainer raises a checkpoint.
/// </summary>
public class ExperimentCallback : ITrainerCallback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="context">The run.</param>
    /// <param name="evalPrefix">Prefix of evaluation metric names (default "eval/").</param>
    public ExperimentCallback(ExperimentContext context, string evalPrefix = "eval/")
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        EvalPrefix = evalPrefix;
    }

    /// <summary>The run.</summary>
    public ExperimentContext Context { get; }

    /// <summary>Prefix of evaluation metric names.</summary>
    public string EvalPrefix { get; }

    /// <summary>Recipe state to store with each checkpoint (e.g. a carried hidden state): fill the dictionaries.</summary>
    public Action<Dictionary<string, string>, Dictionary<string, Tensor>>? AddExtras { get; init; }

    /// <inheritdoc/>
    public virtual void OnStepEnd(Trainer trainer, in StepInfo info)
    {
        if (info.WindowLoss is not double loss) return;
        Context.LogMetric(info.Step, "train/loss", loss);
        if (info.WindowAccuracy is double acc) Context.LogMetric(info.Step, "train/accuracy", acc);
        Context.LogMetric(info.Step, "train/lr", info.Lr);
    }

    /// <inheritdoc/>
    public virtual void OnEvaluate(Trainer trainer, long step, IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (k, v) in metrics) Context.LogMetric(step, EvalPrefix + k, v);
    }

    /// <inheritdoc/>
    public virtual void OnCheckpoint(Trainer trainer, long step)
    {
        Dictionary<string, string>? meta = null;
        Dictionary<string, Tensor>? tensors = null;
        if (AddExtras is not null)
        {
            meta = new Dictionary<string, string>(StringComparer.Ordinal);
            tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            AddExtras(meta, tensors);
        }
        Context.SaveCheckpoint(TrainerCheckpoint.Capture(trainer, meta, tensors));
    }

    /// <inheritdoc/>
    public virtual void OnEnd(Trainer trainer, TrainingResult result) => Context.Flush();
}
