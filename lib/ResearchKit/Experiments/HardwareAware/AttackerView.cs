namespace ResearchKit.Experiments.HardwareAware;

/// <summary>What a score-based attacker sees of the device in <see cref="SideChannelAttackEvaluation"/>.</summary>
public enum AttackerView
{
    /// <summary>The true logits (<see cref="Attacks.ModelOracle"/>): the upper bound, a classic score-based black box.</summary>
    TrueLogits,

    /// <summary>Logits extracted through a simulated side channel averaging T traces (<see cref="Attacks.SideChannel.SideChannelOracle"/>).</summary>
    SideChannel,

    /// <summary>The top-1 label only (<see cref="Attacks.SideChannel.LabelOnlyOracle"/>): the lower bound, a real black box.</summary>
    LabelOnly,
}
