namespace ResearchKit.Tensors;

/// <summary>Fills <paramref name="output"/> from <paramref name="input"/>, element by element or in blocks (same length, except
/// for the overload of <see cref="SpanKernels.Map(Tensor, ReadOnlySpan{int}, UnarySpanKernel)"/> that gives the output its own shape).</summary>
/// <param name="input">The input's elements, row-major.</param>
/// <param name="output">The result's elements, row-major; every element must be written (it may hold a recycled tensor's values).</param>
public delegate void UnarySpanKernel(ReadOnlySpan<float> input, Span<float> output);

/// <summary>Fills <paramref name="output"/> from two inputs of the same length.</summary>
/// <param name="a">The first input's elements, row-major.</param>
/// <param name="b">The second input's elements, row-major.</param>
/// <param name="output">The result's elements; every element must be written.</param>
public delegate void BinarySpanKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output);

/// <summary>
/// Custom element-wise kernels outside the engine (a fake quantizer's fused forward and backward, say) whose results
/// come from the caching allocator like the engine's own: the kernel sees spans, which cannot outlive the call, so the
/// storage stays poolable — unlike <see cref="Tensor.AsSpan"/>, after which an array is never lent again.
/// </summary>
/// <remarks>
/// The kernel runs once, on the calling thread, over the whole tensor; it must write every output element. Inputs that
/// are not contiguous are copied first. This is the .NET counterpart of writing a fused op with <c>torch.empty_like</c>
/// and a loop over <c>data_ptr</c>, without handing out the pointer.
/// </remarks>
public static class SpanKernels
{
    /// <summary>A new contiguous tensor shaped like <paramref name="x"/>, filled by <paramref name="kernel"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not Float32.</exception>
    public static Tensor Map(Tensor x, UnarySpanKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(kernel);
        var src = Float32(x, "x").Contiguous();
        var y = Tensor.Empty(src.Shape.ToArray());
        kernel(src.ViewSpan(), y.WriteSpan());
        return y;
    }

    /// <summary>
    /// A new contiguous tensor of <paramref name="shape"/>, filled by <paramref name="kernel"/> from <paramref name="x"/>'s elements:
    /// an op whose output is shaped differently from its input (a custom convolution, a pooling), still from the pool.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not Float32, or a size is negative.</exception>
    public static Tensor Map(Tensor x, ReadOnlySpan<int> shape, UnarySpanKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(kernel);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"SpanKernels.Map: output shape [{string.Join(", ", shape.ToArray())}] has a negative size.", nameof(shape));
        var src = Float32(x, "x").Contiguous();
        var y = Tensor.Empty(shape.ToArray());
        kernel(src.ViewSpan(), y.WriteSpan());
        return y;
    }

    /// <summary>A new contiguous tensor shaped like <paramref name="a"/>, filled by <paramref name="kernel"/> from <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">An input is not Float32, or the shapes differ (no broadcasting here).</exception>
    public static Tensor Map(Tensor a, Tensor b, BinarySpanKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(kernel);
        if (!a.Shape.Equals(b.Shape))
            throw new ArgumentException($"SpanKernels.Map: the inputs have shapes {a.Shape} and {b.Shape}; a span kernel needs equal shapes (expand or broadcast first).");
        var sa = Float32(a, "a").Contiguous();
        var sb = Float32(b, "b").Contiguous();
        var y = Tensor.Empty(sa.Shape.ToArray());
        kernel(sa.ViewSpan(), sb.ViewSpan(), y.WriteSpan());
        return y;
    }

    /// <summary>
    /// A new contiguous tensor of <paramref name="shape"/>, filled by <paramref name="kernel"/> from two inputs of any shapes
    /// (each contiguous, row-major): an op that combines tensors of different shapes (a convolution's sums and its per-pixel
    /// totals, say), still from the pool.
    /// </summary>
    /// <exception cref="ArgumentException">An input is not Float32, or a size is negative.</exception>
    public static Tensor Map(Tensor a, Tensor b, ReadOnlySpan<int> shape, BinarySpanKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(kernel);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"SpanKernels.Map: output shape [{string.Join(", ", shape.ToArray())}] has a negative size.", nameof(shape));
        var sa = Float32(a, "a").Contiguous();
        var sb = Float32(b, "b").Contiguous();
        var y = Tensor.Empty(shape.ToArray());
        kernel(sa.ViewSpan(), sb.ViewSpan(), y.WriteSpan());
        return y;
    }

    private static Tensor Float32(Tensor t, string name) => t.DType == DType.Float32 ? t
        : throw new ArgumentException($"SpanKernels.Map: input '{name}' is {t.DType}; span kernels read Float32 (call .Float() first).");
}
