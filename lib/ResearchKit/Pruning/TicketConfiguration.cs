namespace ResearchKit.Pruning;

/// <summary>
/// The four winning-ticket search configurations compared in the thesis. They run the same Algorithm 2 and differ
/// only in where the weights of a pruned network start the next round (the rewind step).
/// </summary>
public enum TicketConfiguration
{
    /// <summary>WT: rewind the surviving weights to the initialization θ⁰.</summary>
    WinningTicket,

    /// <summary>WT with save: rewind to θ at iteration t_save of the first (dense) training round.</summary>
    WinningTicketWithSave,

    /// <summary>Rand_init: a fresh random initialization each round, with the same masks.</summary>
    RandomInit,

    /// <summary>IMP: no rewind; continue from the converged weights of the previous round.</summary>
    IterativeMagnitudePruning,
}

/// <summary>Display names of <see cref="TicketConfiguration"/> as in the thesis.</summary>
public static class TicketConfigurationNames
{
    /// <summary>"WT", "WT save", "Rand_init" or "IMP".</summary>
    public static string ShortName(this TicketConfiguration configuration) => configuration switch
    {
        TicketConfiguration.WinningTicket => "WT",
        TicketConfiguration.WinningTicketWithSave => "WT save",
        TicketConfiguration.RandomInit => "Rand_init",
        TicketConfiguration.IterativeMagnitudePruning => "IMP",
        _ => configuration.ToString(),
    };
}
