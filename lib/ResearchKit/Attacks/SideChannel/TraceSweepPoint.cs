namespace ResearchKit.Attacks.SideChannel;

/// <summary>One point of attack success against the number of traces averaged per query.</summary>
/// <param name="Traces">T, traces averaged per query.</param>
/// <param name="SuccessRate">Share of inputs the attack fooled on the device's true logits, in [0, 1].</param>
/// <param name="Queries">Inputs the attack queried through the side channel.</param>
/// <param name="TargetTraces">Traces acquired on the target (Queries × T): the attacker's real cost.</param>
public sealed record TraceSweepPoint(int Traces, double SuccessRate, long Queries, long TargetTraces);
