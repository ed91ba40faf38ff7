using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D average pooling (<c>torch.nn.functional.avg_pool2d</c>) on contiguous NCHW float32 spans, forward and backward.
/// </summary>
/// <remarks>
/// Padding counts as zeros. The divisor is, as in PyTorch: <c>divisor_override</c> if given; otherwise with
/// <c>count_include_pad</c> the window area clipped to the padded input (a ceil-mode window hanging past the padding
/// is not counted in full); otherwise the number of real input elements in the window. Dilation is not supported.
/// </remarks>
public static class AvgPool2dKernel
{
    /// <summary>Computes the pooled output (overwritten).</summary>
    /// <param name="g">Validated geometry (dilation must be 1).</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="output">Output <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="countIncludePad">Whether padding elements count in the divisor (PyTorch default true).</param>
    /// <param name="divisorOverride">If set, the divisor for every window (must be non-zero).</param>
    /// <exception cref="ArgumentException">Span lengths do not match, dilation is not 1, or the divisor override is 0.</exception>
    public static unsafe void Forward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        const string op = "AvgPool2d.Forward";
        Check(op, g, divisorOverride);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "output", output.Length, g.OutputLength, g);
        Pool2dGeometry geo = g;
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
        int chunks = PlaneChunks.Count(g.Planes, (long)outPlane * g.KH * g.KW);
        fixed (float* pi = input, po = output)
        {
            nint ai = (nint)pi, ao = (nint)po;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, geo.Planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var x = new ReadOnlySpan<float>((float*)ai + (long)p * inPlane, inPlane);
                    var y = new Span<float>((float*)ao + (long)p * outPlane, outPlane);
                    for (int oh = 0; oh < geo.OutH; oh++)
                    {
                        for (int ow = 0; ow < geo.OutW; ow++)
                        {
                            int div = Window(geo, oh, ow, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                            if (div == 0)
                            {
                                y[oh * geo.OutW + ow] = 0f;
                                continue;
                            }
                            float s = 0f;
                            for (int ih = ih0; ih < ih1; ih++)
                                s += RowSum(x.Slice(ih * geo.W + iw0, iw1 - iw0));
                            y[oh * geo.OutW + ow] = s / div;
                        }
                    }
                }
            });
        }
    }

    /// <summary>Spreads each output gradient evenly (by the same divisor) over its window (gradInput is overwritten).</summary>
    /// <param name="g">Validated geometry (dilation must be 1).</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, C, OutH, OutW]</c>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <param name="countIncludePad">Must match the forward call.</param>
    /// <param name="divisorOverride">Must match the forward call.</param>
    /// <exception cref="ArgumentException">Span lengths do not match, dilation is not 1, or the divisor override is 0.</exception>
    public static unsafe void Backward(in Pool2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradInput,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        const string op = "AvgPool2d.Backward";
        Check(op, g, divisorOverride);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "gradInput", gradInput.Length, g.InputLength, g);
        Pool2dGeometry geo = g;
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
        int chunks = PlaneChunks.Count(g.Planes, (long)outPlane * g.KH * g.KW);
        fixed (float* pgy = gradOutput, pgx = gradInput)
        {
            nint agy = (nint)pgy, agx = (nint)pgx;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, geo.Planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var gy = new ReadOnlySpan<float>((float*)agy + (long)p * outPlane, outPlane);
                    var gx = new Span<float>((float*)agx + (long)p * inPlane, inPlane);
                    gx.Clear();
                    for (int oh = 0; oh < geo.OutH; oh++)
                    {
                        for (int ow = 0; ow < geo.OutW; ow++)
                        {
                            int div = Window(geo, oh, ow, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                            if (div == 0) continue;
                            float d = gy[oh * geo.OutW + ow] / div;
                            for (int ih = ih0; ih < ih1; ih++)
                                RowAdd(gx.Slice(ih * geo.W + iw0, iw1 - iw0), d);
                        }
                    }
                }
            });
        }
    }

    /// <summary>PyTorch's window bounds and divisor; returns 0 for a window with no input element (output 0).</summary>
    private static int Window(in Pool2dGeometry g, int oh, int ow, bool countIncludePad, int? divisorOverride,
        out int ih0, out int ih1, out int iw0, out int iw1)
    {
        ih0 = oh * g.StrideH - g.PadH;
        iw0 = ow * g.StrideW - g.PadW;
        ih1 = Math.Min(ih0 + g.KH, g.H + g.PadH);
        iw1 = Math.Min(iw0 + g.KW, g.W + g.PadW);
        int poolSize = (ih1 - ih0) * (iw1 - iw0);
        ih0 = Math.Max(ih0, 0);
        iw0 = Math.Max(iw0, 0);
        ih1 = Math.Min(ih1, g.H);
        iw1 = Math.Min(iw1, g.W);
        if (ih0 >= ih1 || iw0 >= iw1) return 0;
        if (divisorOverride is int d) return d;
        return countIncludePad ? poolSize : (ih1 - ih0) * (iw1 - iw0);
    }

    /// <summary>Sum of a window row: SIMD for wide windows (e.g. global pooling), scalar for the usual 2–3 taps.</summary>
    internal static float RowSum(ReadOnlySpan<float> row)
    {
        if (row.Length >= 16) return TensorPrimitives.Sum(row);
        float s = 0f;
        foreach (float v in row) s += v;
        return s;
    }

    /// <summary>Adds <paramref name="value"/> to every element of a window row.</summary>
    internal static void RowAdd(Span<float> row, float value)
    {
        if (row.Length >= 16)
        {
            TensorPrimitives.Add(row, value, row);
            return;
        }
        for (int i = 0; i < row.Length; i++) row[i] += value;
    }

    private static void Check(string op, in Pool2dGeometry g, int? divisorOverride)
    {
        g.EnsureInitialized(op);
        if (g.DilationH != 1 || g.DilationW != 1)
            throw new ArgumentException($"{op}: dilation ({g.DilationH}, {g.DilationW}) is not supported by average pooling; build the geometry with dilation 1.");
        if (divisorOverride == 0)
            throw new ArgumentException($"{op}: divisor_override must be non-zero; pass null to use the window size.", nameof(divisorOverride));
    }

    private static void CheckLength(string op, string name, int actual, int expected, in Pool2dGeometry g)
    {
        if (actual != expected)
            throw new ArgumentException(
                $"{op}: {name} has {actual} elements but the geometry needs {expected} " +
                $"(input [{g.N}, {g.C}, {g.H}, {g.W}], output [{g.N}, {g.C}, {g.OutH}, {g.OutW}]); pass spans matching the geometry.", name);
    }
}
