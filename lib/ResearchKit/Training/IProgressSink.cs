namespace ResearchKit.Training;

/// <summary>
/// Receives training progress from a <see cref="Trainer"/>. Implementations decide how often to display it:
/// <see cref="SpectreProgressSink"/> (live bar in a terminal), <see cref="PlainProgressSink"/> (periodic lines for
/// redirected output, CI and notebooks), <see cref="SilentProgressSink"/> (tests). Pick one with <see cref="ProgressSinks.Auto"/>.
/// </summary>
public interface IProgressSink
{
    /// <summary>Training starts (or resumes at <paramref name="startStep"/>) and will end at <paramref name="totalSteps"/>.</summary>
    void Start(string description, long totalSteps, long startStep);

    /// <summary>A step finished (called every step: throttle the display, not the call).</summary>
    void Step(in ProgressUpdate update);

    /// <summary>An evaluation finished at <paramref name="step"/>.</summary>
    void Evaluated(long step, IReadOnlyDictionary<string, double> metrics);

    /// <summary>A free-form note (resume, early stop...).</summary>
    void Message(string text);

    /// <summary>Training ended (normally or by an exception) at <paramref name="step"/>; release the display.</summary>
    void Finish(long step);
}
