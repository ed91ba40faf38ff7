namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Which implementation of a kernel runs: the best one this CPU supports, unless a test forces another on its own thread
/// (so that tests running at the same time do not change each other's path). Each kernel class declares its path enum and
/// one of these.
/// </summary>
/// <typeparam name="TPath">The kernel's enum of implementations.</typeparam>
internal sealed class KernelPath<TPath>(TPath best) where TPath : struct, Enum
{
    // One per closed type, i.e. per kernel class's enum, and per thread.
    [ThreadStatic] private static TPath? t_forced;

    /// <summary>The best path on this CPU.</summary>
    public TPath Best { get; } = best;

    /// <summary>Test hook: the path forced on the calling thread (null: <see cref="Best"/>); a kernel refuses a forced SIMD path
    /// the CPU lacks.</summary>
    public TPath? Forced { get => t_forced; set => t_forced = value; }

    /// <summary>The path the calling thread runs.</summary>
    public TPath Current => t_forced ?? Best;
}
