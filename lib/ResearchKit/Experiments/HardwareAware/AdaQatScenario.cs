namespace ResearchKit.Experiments.HardwareAware;

/// <summary>Where an <see cref="AdaQatRecipe"/> run starts: the AdaQAT abstract says the method works "in both training from
/// scratch and fine-tuning scenarios" (FACTS-adaqat.md, fact 2).</summary>
public enum AdaQatScenario
{
    /// <summary>From the float weights of chapter 5's shared Training I (the same start as the fixed-precision Training II runs).</summary>
    FineTune,
    /// <summary>From a freshly initialized network (the seed's initialization, as Training I's).</summary>
    FromScratch,
}
