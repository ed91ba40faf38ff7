namespace ResearchKit.Experiments.HardwareAware;

/// <summary>One point of attack success against what the attacker sees of the device.</summary>
/// <param name="Attack">"SPSA" or "Square".</param>
/// <param name="View">True logits, side channel or label only.</param>
/// <param name="Traces">T, traces averaged per query (side channel only).</param>
/// <param name="Images">Images attacked.</param>
/// <param name="CleanAccuracy">The device's accuracy on the clean images (true logits).</param>
/// <param name="AdversarialAccuracy">The device's accuracy on the adversarial images (true logits).</param>
/// <param name="Queries">Queries the attack made through its view, over all images.</param>
/// <param name="TargetTraces">Traces acquired on the device, Queries × T (side channel only): the attacker's real cost.</param>
/// <param name="RunId">Run id of the stored evaluation.</param>
/// <param name="FromCache">True when the result came from the run store.</param>
public sealed record SideChannelAttackRow(string Attack, AttackerView View, int? Traces, int Images, double CleanAccuracy, double AdversarialAccuracy,
    long Queries, long? TargetTraces, long RunId, bool FromCache)
{
    /// <summary>Share of images the device misclassifies after the attack, 1 − adversarial accuracy (as <see cref="Attacks.SideChannel.TraceSweep"/>;
    /// images already misclassified count as successes, so 1 − clean accuracy is its floor).</summary>
    public double SuccessRate => 1 - AdversarialAccuracy;

    /// <summary>Queries per image.</summary>
    public double QueriesPerImage => (double)Queries / Images;
}
