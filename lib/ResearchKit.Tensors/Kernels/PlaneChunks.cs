namespace ResearchKit.Tensors.Kernels;

/// <summary>Splits independent <c>H×W</c> planes (pooling) into chunks for <see cref="Parallelism.For"/>.</summary>
internal static class PlaneChunks
{
    /// <summary>Below this many inner-loop steps a call runs on one thread: scheduling would cost more than it saves.</summary>
    private const long MinParallelWork = 1 << 15;

    /// <summary>Chunk count from problem size and <see cref="Parallelism.Threads"/> only.</summary>
    public static int Count(int planes, long workPerPlane)
    {
        if (planes <= 1 || planes * workPerPlane < MinParallelWork) return 1;
        return Math.Min(planes, Parallelism.Threads);
    }

    /// <summary>Planes <c>[start, end)</c> of <paramref name="chunk"/>.</summary>
    public static void Range(int chunk, int chunks, int planes, out int start, out int end)
        => Conv2dKernel.ChunkRange(chunk, chunks, planes, out start, out end);
}
