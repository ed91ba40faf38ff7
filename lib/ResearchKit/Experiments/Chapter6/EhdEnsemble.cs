using ResearchKit.Experiments.Chapter5;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// One Ensemble Hash Defense configuration of §6.5: its members (a loss and an init seed each) and the thesis table that
/// reports it.
/// </summary>
/// <param name="Id">Short id ("ehd3-ce", "ehd3-diverse", "ehd4-ce", "ehd5-ce").</param>
/// <param name="Title">What it is, for tables.</param>
/// <param name="Members">The members' (loss, init seed).</param>
/// <param name="ThesisTable">The thesis' SPSA table for it ("6.3", "6.6", "6.7", "6.8").</param>
/// <param name="ThesisCleanKey">The protocol key of its clean top-1 in <c>ThesisReference.Chapter6</c> (e.g. "ehd.k3_seeds.clean").</param>
public sealed record EhdEnsemble(string Id, string Title, IReadOnlyList<(QatLoss Loss, long Seed)> Members, string ThesisTable, string ThesisCleanKey)
{
    /// <summary>k, the number of members.</summary>
    public int K => Members.Count;

    /// <summary>
    /// The four configurations of §6.5: k = 3 CE members differing by their init seed (§6.5.2, Table 6.3); k = 3 with CE, GML
    /// and MMC (§6.5.3, Table 6.6); k = 4 and 5 CE members (§6.5.4, Tables 6.7, 6.8). The GML and MMC members use init seed 0
    /// like the first CE member, so the diverse ensemble differs from it by the loss alone (the thesis does not say).
    /// </summary>
    public static IReadOnlyList<EhdEnsemble> Thesis { get; } =
    [
        new("ehd3-ce", "EHD k = 3, CE seeds 0–2", Ce(3), "6.3", "ehd.k3_seeds.clean"),
        new("ehd3-diverse", "EHD k = 3, CE + GML + MMC", [(QatLoss.CrossEntropy, 0), (QatLoss.Gml, 0), (QatLoss.Mmc, 0)], "6.6", "ehd.k3_losses.clean"),
        new("ehd4-ce", "EHD k = 4, CE seeds 0–3", Ce(4), "6.7", "ehd.k4.clean"),
        new("ehd5-ce", "EHD k = 5, CE seeds 0–4", Ce(5), "6.8", "ehd.k5.clean"),
    ];

    /// <summary>Every distinct member the four configurations need (CE seeds 0–4, GML seed 0, MMC seed 0).</summary>
    public static IReadOnlyList<(QatLoss Loss, long Seed)> AllMembers { get; } =
        Thesis.SelectMany(e => e.Members).Distinct().OrderBy(m => m.Loss).ThenBy(m => m.Seed).ToList();

    private static List<(QatLoss, long)> Ce(int k) => Enumerable.Range(0, k).Select(s => (QatLoss.CrossEntropy, (long)s)).ToList();
}
