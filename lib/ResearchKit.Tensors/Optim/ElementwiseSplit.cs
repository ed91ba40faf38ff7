using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Runs an optimizer's element-wise update over a large parameter in contiguous ranges across the kernel threads (an
/// embedding of 6.5 M weights and its Adam moments stream 180 MB per step). Every element is updated by the same arithmetic
/// whatever the range, so the result is the same at any thread count.
/// </summary>
internal static unsafe class ElementwiseSplit
{
    /// <summary>An update over aligned ranges of the parameter, its gradient and up to three state buffers (empty when unused).</summary>
    public delegate void Kernel(Span<float> parameter, ReadOnlySpan<float> grad, Span<float> s1, Span<float> s2, Span<float> s3);

    /// <summary>Below this many elements the update runs on the calling thread (a split would cost more than it saves).</summary>
    public const int MinSplit = 2 * Tensor.ParallelGrain;

    /// <summary>Applies <paramref name="kernel"/> to all of <paramref name="parameter"/>, split into ranges when large.</summary>
    public static void Run(Span<float> parameter, ReadOnlySpan<float> grad, Span<float> s1, Span<float> s2, Span<float> s3, Kernel kernel)
    {
        int n = parameter.Length;
        if (n < MinSplit || Parallelism.Threads == 1) { kernel(parameter, grad, s1, s2, s3); return; }
        fixed (float* pp = parameter, pg = grad, p1 = s1, p2 = s2, p3 = s3)
        {
            nint ap = (nint)pp, ag = (nint)pg, a1 = (nint)p1, a2 = (nint)p2, a3 = (nint)p3;
            bool h1 = !s1.IsEmpty, h2 = !s2.IsEmpty, h3 = !s3.IsEmpty;
            Parallelism.ForRanges(n, Tensor.ParallelGrain, (start, len) => kernel(
                new Span<float>((float*)ap + start, len), new ReadOnlySpan<float>((float*)ag + start, len),
                h1 ? new Span<float>((float*)a1 + start, len) : default,
                h2 ? new Span<float>((float*)a2 + start, len) : default,
                h3 ? new Span<float>((float*)a3 + start, len) : default));
        }
    }
}
