namespace ResearchKit.Training;

/// <summary>One step's progress report.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps at which training ends.</param>
/// <param name="Epoch">Epoch of the step (0-based).</param>
/// <param name="Loss">Latest batch loss.</param>
/// <param name="Accuracy">Latest batch accuracy, when tracked.</param>
/// <param name="Lr">Learning rate of the step.</param>
public readonly record struct ProgressUpdate(long Step, long TotalSteps, int Epoch, double Loss, double? Accuracy, double Lr);
