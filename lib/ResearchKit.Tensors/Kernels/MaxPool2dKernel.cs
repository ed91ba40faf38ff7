namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D max pooling (<c>torch.nn.functional.max_pool2d</c> with <c>return_indices=True</c>) on contiguous NCHW float32 spans.
/// </summary>
/// <remarks>
/// Padding acts as −∞. Each window keeps the first maximum in row-major order; a NaN wins over any number (the last
/// NaN in the window, as PyTorch's CPU kernel). Indices are flat offsets <c>ih·W + iw</c> inside each input plane.
/// </remarks>
public static class MaxPool2dKernel
{
    /// <summary>Computes the pooled output and, if <paramref name="indices"/> is non-empty, the argmax of every window.</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="output">Output <c>[N, C, OutH, OutW]</c> (overwritten).</param>
    /// <param name="indices">Argmax <c>[N, C, OutH, OutW]</c> as flat offsets within the plane, or empty to skip.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static unsafe void Forward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> indices)
    {
        const string op = "MaxPool2d.Forward";
        g.EnsureInitialized(op);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "output", output.Length, g.OutputLength, g);
        if (!indices.IsEmpty) CheckLength(op, "indices", indices.Length, g.OutputLength, g);
        Pool2dGeometry geo = g;
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
        int chunks = PlaneChunks.Count(g.Planes, (long)outPlane * g.KH * g.KW);
        bool withIndices = !indices.IsEmpty;
        fixed (float* pi = input, po = output)
        fixed (int* px = indices)
        {
            nint ai = (nint)pi, ao = (nint)po, ax = (nint)px;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, geo.Planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var x = new ReadOnlySpan<float>((float*)ai + (long)p * inPlane, inPlane);
                    var y = new Span<float>((float*)ao + (long)p * outPlane, outPlane);
                    var idx = withIndices ? new Span<int>((int*)ax + (long)p * outPlane, outPlane) : Span<int>.Empty;
                    ForwardPlane(geo, x, y, idx);
                }
            });
        }
    }

    /// <summary>Scatters <paramref name="gradOutput"/> to the recorded argmax positions (gradInput is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="indices">Argmax from <see cref="Forward"/>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry, or an index lies outside its plane.</exception>
    public static unsafe void Backward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, Span<float> gradInput)
    {
        const string op = "MaxPool2d.Backward";
        g.EnsureInitialized(op);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "indices", indices.Length, g.OutputLength, g);
        CheckLength(op, "gradInput", gradInput.Length, g.InputLength, g);
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW, planes = g.Planes;
        int chunks = PlaneChunks.Count(planes, outPlane + inPlane);
        int bad = -1; // first bad output position; reported after the parallel loop
        fixed (float* pgy = gradOutput, pgx = gradInput)
        fixed (int* px = indices)
        {
            nint agy = (nint)pgy, agx = (nint)pgx, ax = (nint)px;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var gy = new ReadOnlySpan<float>((float*)agy + (long)p * outPlane, outPlane);
                    var idx = new ReadOnlySpan<int>((int*)ax + (long)p * outPlane, outPlane);
                    var gx = new Span<float>((float*)agx + (long)p * inPlane, inPlane);
                    gx.Clear();
                    for (int o = 0; o < outPlane; o++)
                    {
                        int i = idx[o];
                        if ((uint)i >= (uint)inPlane)
                        {
                            Interlocked.CompareExchange(ref bad, p * outPlane + o, -1);
                            continue;
                        }
                        gx[i] += gy[o];
                    }
                }
            });
        }
        if (bad >= 0)
            throw new ArgumentException(
                $"{op}: index {indices[bad]} at output position {bad} lies outside its {g.H}x{g.W} input plane; pass the indices produced by MaxPool2dKernel.Forward for this geometry.",
                nameof(indices));
    }

    private static void ForwardPlane(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> idx)
    {
        int w = g.W, dh = g.DilationH, dw = g.DilationW;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int ih0 = oh * g.StrideH - g.PadH;
            int ih1 = Math.Min(ih0 + (g.KH - 1) * dh + 1, g.H);
            while (ih0 < 0) ih0 += dh;
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int iw0 = ow * g.StrideW - g.PadW;
                int iw1 = Math.Min(iw0 + (g.KW - 1) * dw + 1, w);
                while (iw0 < 0) iw0 += dw;
                int best = ih0 * w + iw0;
                float max = float.NegativeInfinity;
                for (int ih = ih0; ih < ih1; ih += dh)
                {
                    ReadOnlySpan<float> row = x.Slice(ih * w, w);
                    for (int iw = iw0; iw < iw1; iw += dw)
                    {
                        float v = row[iw];
                        if (v > max || float.IsNaN(v))
                        {
                            max = v;
                            best = ih * w + iw;
                        }
                    }
                }
                int o = oh * g.OutW + ow;
                y[o] = max;
                if (!idx.IsEmpty) idx[o] = best;
            }
        }
    }

    private static void CheckLength(string op, string name, int actual, int expected, in Pool2dGeometry g)
    {
        if (actual != expected)
            throw new ArgumentException(
                $"{op}: {name} has {actual} elements but the geometry needs {expected} " +
                $"(input [{g.N}, {g.C}, {g.H}, {g.W}], output [{g.N}, {g.C}, {g.OutH}, {g.OutW}]); pass spans matching the geometry.", name);
    }
}
