namespace ResearchKit.Thesis;

/// <summary>A number the thesis states in its text or a caption rather than in a table.</summary>
/// <param name="Id">Stable key, e.g. "seqmnist.subsampled.asymptote_iteration".</param>
/// <param name="Value">The number.</param>
/// <param name="Section">Where it is stated (section, figure or caption).</param>
/// <param name="What">What the number is, in a few words.</param>
public sealed record ThesisClaim(string Id, double Value, string Section, string What);
