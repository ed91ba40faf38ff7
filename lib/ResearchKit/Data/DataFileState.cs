namespace ResearchKit.Data;

/// <summary>Local state of one dataset file.</summary>
public enum DataFileState
{
    /// <summary>Not found anywhere local.</summary>
    Missing,
    /// <summary>Found (possibly still compressed or inside an archive), not yet verified.</summary>
    Present,
    /// <summary>Found and verified against the manifest (stamp or fresh hash).</summary>
    Verified,
    /// <summary>Found but failed verification.</summary>
    Corrupt,
}
