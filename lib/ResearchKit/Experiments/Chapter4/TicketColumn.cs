using ResearchKit.Pruning;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// One column of the thesis' winning-ticket tables (Tables 4.3, 4.6, 4.8): a <see cref="TicketConfiguration"/>, the
/// iteration t_save it rewinds to, and whether its retrainings (rounds ≥ 1) use the sub-sampling schedule.
/// </summary>
/// <param name="Name">The thesis' column name: "Rand_init", "WT", "WT_1200", "WT_30k", "WT_13.2k", "WT_1830" or "IMP"
/// (kept at every preset; <paramref name="SaveStep"/> gives the preset's actual t_save).</param>
/// <param name="Configuration">Where each retraining starts (Algorithm 2's reset step).</param>
/// <param name="SaveStep">t_save: 0 for WT (θ⁰), the iteration of the dense training for WT with save, null for
/// Rand_init and IMP (they do not rewind to an iterate).</param>
/// <param name="SubsampleRetraining">Whether rounds ≥ 1 train with the sub-sampling schedule (§4.5.4, Table 4.6: Rand_init
/// and WT do, WT_13.2k and IMP do not); false in experiments without sub-sampling. Round 0 follows the experiment.</param>
public sealed record TicketColumn(string Name, TicketConfiguration Configuration, long? SaveStep, bool SubsampleRetraining = false)
{
    /// <summary>
    /// Iterations of a retraining (round ≥ 1) in a search whose dense training lasts <paramref name="iterations"/> (T):
    /// T − t_save for WT with save, as Algorithm 2 line 8 restarts from iteration t_save (§4.5.3), T otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">t_save is not below T.</exception>
    public long RetrainIterations(long iterations)
    {
        if (Configuration != TicketConfiguration.WinningTicketWithSave) return iterations;
        long s = SaveStep ?? 0;
        if (s >= iterations)
            throw new ArgumentException($"TicketColumn '{Name}': t_save = {s} is not below T = {iterations}, so nothing is left to retrain; lower SaveStep or raise T.");
        return iterations - s;
    }

    /// <summary>Iterations of round <paramref name="round"/> (0: the dense training, T) in a search of length <paramref name="iterations"/>.</summary>
    public long IterationsOfRound(int round, long iterations) => round == 0 ? iterations : RetrainIterations(iterations);

    /// <summary>The column as a config entry (recorded with its run).</summary>
    public Dictionary<string, object?> ToConfig(long iterations) => new()
    {
        ["name"] = Name,
        ["configuration"] = Configuration.ToString(),
        ["save_step"] = SaveStep,
        ["subsample_retraining"] = SubsampleRetraining,
        ["retrain_iterations"] = RetrainIterations(iterations),
    };
}
