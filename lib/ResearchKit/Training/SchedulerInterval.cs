namespace ResearchKit.Training;

/// <summary>When the <see cref="Trainer"/> advances its learning-rate scheduler.</summary>
public enum SchedulerInterval
{
    /// <summary>After the last optimizer step of each epoch (PyTorch's usual <c>scheduler.step()</c> per epoch).</summary>
    PerEpoch,
    /// <summary>After every optimizer step (warm-up, one-cycle and per-iteration cosine schedules).</summary>
    PerStep,
}
