namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D adaptive average pooling (<c>torch.nn.functional.adaptive_avg_pool2d</c>) on contiguous NCHW float32 spans.
/// Output cell <c>(i, j)</c> averages input rows <c>[floor(i·H/OutH), ceil((i+1)·H/OutH))</c> and the analogous columns.
/// </summary>
public static class AdaptiveAvgPool2dKernel
{
    /// <summary>Computes the pooled output <c>[N, C, outH, outW]</c> (overwritten).</summary>
    /// <param name="n">Batch size.</param>
    /// <param name="c">Channels.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="outH">Output height (<c>output_size[0]</c>).</param>
    /// <param name="outW">Output width (<c>output_size[1]</c>).</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="output">Output <c>[N, C, outH, outW]</c>.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span length does not match.</exception>
    public static unsafe void Forward(int n, int c, int h, int w, int outH, int outW, ReadOnlySpan<float> input, Span<float> output)
    {
        const string op = "AdaptiveAvgPool2d.Forward";
        Check(op, n, c, h, w, outH, outW, input.Length, "input", output.Length, "output");
        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        int chunks = PlaneChunks.Count(planes, inPlane + outPlane);
        fixed (float* pi = input, po = output)
        {
            nint ai = (nint)pi, ao = (nint)po;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var x = new ReadOnlySpan<float>((float*)ai + (long)p * inPlane, inPlane);
                    var y = new Span<float>((float*)ao + (long)p * outPlane, outPlane);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        Bounds(oh, h, outH, out int ih0, out int ih1);
                        for (int ow = 0; ow < outW; ow++)
                        {
                            Bounds(ow, w, outW, out int iw0, out int iw1);
                            float s;
                            if (iw1 - iw0 == w)
                            {
                                s = AvgPool2dKernel.RowSum(x.Slice(ih0 * w, (ih1 - ih0) * w)); // whole rows are contiguous
                            }
                            else
                            {
                                s = 0f;
                                for (int ih = ih0; ih < ih1; ih++)
                                    s += AvgPool2dKernel.RowSum(x.Slice(ih * w + iw0, iw1 - iw0));
                            }
                            // Two divisions, exactly as PyTorch's CPU kernel (sum / kh / kw).
                            y[oh * outW + ow] = s / (ih1 - ih0) / (iw1 - iw0);
                        }
                    }
                }
            });
        }
    }

    /// <summary>Spreads each output gradient evenly over its window (gradInput <c>[N, C, H, W]</c> is overwritten).</summary>
    /// <param name="n">Batch size.</param>
    /// <param name="c">Channels.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="outH">Output height.</param>
    /// <param name="outW">Output width.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, C, outH, outW]</c>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <exception cref="ArgumentException">A size is not positive or a span length does not match.</exception>
    public static unsafe void Backward(int n, int c, int h, int w, int outH, int outW, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        const string op = "AdaptiveAvgPool2d.Backward";
        Check(op, n, c, h, w, outH, outW, gradInput.Length, "gradInput", gradOutput.Length, "gradOutput");
        int planes = n * c, inPlane = h * w, outPlane = outH * outW;
        int chunks = PlaneChunks.Count(planes, inPlane + outPlane);
        fixed (float* pgy = gradOutput, pgx = gradInput)
        {
            nint agy = (nint)pgy, agx = (nint)pgx;
            Parallelism.For(chunks, chunk =>
            {
                PlaneChunks.Range(chunk, chunks, planes, out int p0, out int p1);
                for (int p = p0; p < p1; p++)
                {
                    var gy = new ReadOnlySpan<float>((float*)agy + (long)p * outPlane, outPlane);
                    var gx = new Span<float>((float*)agx + (long)p * inPlane, inPlane);
                    gx.Clear();
                    for (int oh = 0; oh < outH; oh++)
                    {
                        Bounds(oh, h, outH, out int ih0, out int ih1);
                        for (int ow = 0; ow < outW; ow++)
                        {
                            Bounds(ow, w, outW, out int iw0, out int iw1);
                            float d = gy[oh * outW + ow] / (ih1 - ih0) / (iw1 - iw0);
                            if (iw1 - iw0 == w)
                            {
                                AvgPool2dKernel.RowAdd(gx.Slice(ih0 * w, (ih1 - ih0) * w), d);
                                continue;
                            }
                            for (int ih = ih0; ih < ih1; ih++)
                                AvgPool2dKernel.RowAdd(gx.Slice(ih * w + iw0, iw1 - iw0), d);
                        }
                    }
                }
            });
        }
    }

    /// <summary>PyTorch's adaptive window <c>[floor(i·in/out), ceil((i+1)·in/out))</c>.</summary>
    public static void Bounds(int i, int inSize, int outSize, out int start, out int end)
    {
        start = (int)((long)i * inSize / outSize);
        end = (int)(((long)(i + 1) * inSize + outSize - 1) / outSize);
    }

    private static void Check(string op, int n, int c, int h, int w, int outH, int outW,
        int inputLen, string inputName, int outputLen, string outputName)
    {
        if (n < 0 || c < 1 || h < 1 || w < 1 || outH < 1 || outW < 1)
            throw new ArgumentException($"{op}: need N >= 0 and positive C, H, W and output size, got N={n}, C={c}, H={h}, W={w}, output_size=({outH}, {outW}).");
        long inNeed = (long)n * c * h * w, outNeed = (long)n * c * outH * outW;
        if (inputLen != inNeed)
            throw new ArgumentException($"{op}: {inputName} has {inputLen} elements but [{n}, {c}, {h}, {w}] needs {inNeed}; pass spans matching the sizes.", inputName);
        if (outputLen != outNeed)
            throw new ArgumentException($"{op}: {outputName} has {outputLen} elements but [{n}, {c}, {outH}, {outW}] needs {outNeed}; pass spans matching the sizes.", outputName);
    }
}
