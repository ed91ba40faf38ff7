namespace ResearchKit.Attacks;

/// <summary>Score margins of the score-based attacks (SPSA Eq. B.1, Square), on one row of scores.</summary>
internal static class MarginLoss
{
    /// <summary>
    /// The thesis' SPSA loss (Eq. B.1), to minimize: untargeted, top1 − top2 when the prediction is the true label and 0
    /// otherwise; targeted (our choice, not in the thesis), max_{j≠t} s_j − s_t while the prediction is not the target and 0 once it is.
    /// </summary>
    public static float Spsa(ReadOnlySpan<float> scores, long label, bool targeted)
    {
        int pred = 0;
        for (int j = 1; j < scores.Length; j++) if (scores[j] > scores[pred]) pred = j;
        float other = OtherMax(scores, label);
        if (targeted) return pred == label ? 0f : other - scores[(int)label];
        return pred != label ? 0f : scores[(int)label] - other; // the label is top1, so this is top1 − top2
    }

    /// <summary>Square's margin (to minimize; the reference code stops an input once it is ≤ 0): s_y − max_{j≠y} s_j untargeted, max_{j≠t} s_j − s_t targeted.</summary>
    public static float Square(ReadOnlySpan<float> scores, long label, bool targeted)
    {
        float m = scores[(int)label] - OtherMax(scores, label);
        return targeted ? -m : m;
    }

    private static float OtherMax(ReadOnlySpan<float> scores, long label)
    {
        float best = float.NegativeInfinity;
        for (int j = 0; j < scores.Length; j++) if (j != label && scores[j] > best) best = scores[j];
        return best;
    }
}
