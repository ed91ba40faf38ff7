using ResearchKit.Attacks;
using ResearchKit.Tensors;

namespace ResearchKit.Defenses;

/// <summary>
/// What a black-box attacker gets of an <see cref="EnsembleHashDefense"/> (<see cref="EnsembleHashDefense.AsOracle"/>):
/// scores and a query count. Internal, so outside the kit it is only an <see cref="IScoreOracle"/>; it has no member
/// that reveals k, the members, the routes or the key, and prints as a plain oracle.
/// </summary>
internal sealed class EhdScoreOracle(EnsembleHashDefense defense) : IScoreOracle
{
    private long _queries;

    /// <inheritdoc/>
    public Tensor Scores(Tensor inputs)
    {
        var scores = defense.Scores(inputs);
        Interlocked.Add(ref _queries, inputs.Size(0));   // counted once answered: a rejected batch costs nothing
        return scores;
    }

    /// <inheritdoc/>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>The query count only.</summary>
    public override string ToString() => $"ScoreOracle(queries={Queries})";
}
