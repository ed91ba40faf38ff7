namespace ResearchKit.Attacks.SideChannel;

/// <summary>What the noise σ of a <see cref="LeakageModel"/> is measured against.</summary>
public enum NoiseScale
{
    /// <summary>σ is in leakage units (the units of y = a·logit + b), the same for every input: a fixed instrument noise.</summary>
    Absolute,

    /// <summary>
    /// σ is a fraction of the signal: each row's noise is σ·|a|·RMS(logits of that row), so σ = 1 is an SNR of 1 whatever
    /// the model's logit scale.
    /// </summary>
    RelativeToLogits,
}
