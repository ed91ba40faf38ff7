using System.Buffers;
using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Random zoom: draws s ~ U[minScale, maxScale) and rescales the image by s about its centre, resampled back to the
/// same H×W with bilinear interpolation (pixel-centre convention, <c>align_corners=False</c>). Output pixel (y, x)
/// samples the input at ((y + ½ − H/2)/s + H/2 − ½, (x + ½ − W/2)/s + W/2 − ½); neighbours outside the image count as
/// 0 (grid_sample's <c>padding_mode="zeros"</c>), so s &lt; 1 shrinks the content into a zero border and s &gt; 1
/// crops its centre. s = 1 is the exact identity.
/// </summary>
internal sealed class RandomRescale : ImageTransform
{
    internal RandomRescale(double minScale, double maxScale)
    {
        if (!(minScale > 0) || !(maxScale >= minScale) || double.IsInfinity(maxScale))
            throw new ArgumentException($"RandomRescale: need 0 < minScale ≤ maxScale < ∞, got minScale={minScale}, maxScale={maxScale}.");
        MinScale = minScale; MaxScale = maxScale;
    }

    internal double MinScale { get; }
    internal double MaxScale { get; }

    public override ImageShape OutputShape(ImageShape input) => input;

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        double s = MinScale + (MaxScale - MinScale) * rng.NextDouble();
        int h = input.Height, w = input.Width, plane = input.Plane;
        // Per-axis tables (2 indices + 2 weights per row/column) live on the stack for usual image sizes.
        int need = 2 * (h + w);
        int[]? rentedI = null; float[]? rentedW = null;
        Span<int> idx = need <= 1024 ? stackalloc int[need] : (rentedI = ArrayPool<int>.Shared.Rent(need));
        Span<float> wts = need <= 1024 ? stackalloc float[need] : (rentedW = ArrayPool<float>.Shared.Rent(need));
        try
        {
            Span<int> yi0 = idx[..h], yi1 = idx.Slice(h, h), xi0 = idx.Slice(2 * h, w), xi1 = idx.Slice(2 * h + w, w);
            Span<float> yw0 = wts[..h], yw1 = wts.Slice(h, h), xw0 = wts.Slice(2 * h, w), xw1 = wts.Slice(2 * h + w, w);
            BuildAxis(h, s, yi0, yi1, yw0, yw1);
            BuildAxis(w, s, xi0, xi1, xw0, xw1);
            for (int c = 0; c < input.Channels; c++)
            {
                var src = source.Slice(c * plane, plane);
                var dst = destination.Slice(c * plane, plane);
                for (int y = 0; y < h; y++)
                {
                    float wy0 = yw0[y], wy1 = yw1[y];
                    var r0 = src.Slice(yi0[y] * w, w);
                    var r1 = src.Slice(yi1[y] * w, w);
                    var o = dst.Slice(y * w, w);
                    for (int x = 0; x < w; x++)
                    {
                        int i0 = xi0[x], i1 = xi1[x];
                        float wx0 = xw0[x], wx1 = xw1[x];
                        o[x] = wy0 * (wx0 * r0[i0] + wx1 * r0[i1]) + wy1 * (wx0 * r1[i0] + wx1 * r1[i1]);
                    }
                }
            }
        }
        finally
        {
            if (rentedI is not null) ArrayPool<int>.Shared.Return(rentedI);
            if (rentedW is not null) ArrayPool<float>.Shared.Return(rentedW);
        }
    }

    /// <summary>Source indices and weights of the two bilinear neighbours along one axis (weight 0 outside the image).</summary>
    private static void BuildAxis(int n, double scale, Span<int> i0, Span<int> i1, Span<float> w0, Span<float> w1)
    {
        double half = n / 2.0;
        for (int i = 0; i < n; i++)
        {
            double src = (i + 0.5 - half) / scale + half - 0.5;
            double f = Math.Floor(src);
            int j = (int)f;
            float t = (float)(src - f);
            bool in0 = (uint)j < (uint)n, in1 = (uint)(j + 1) < (uint)n;
            i0[i] = in0 ? j : 0; w0[i] = in0 ? 1f - t : 0f;
            i1[i] = in1 ? j + 1 : 0; w1[i] = in1 ? t : 0f;
        }
    }

    public override string ToString() => $"RandomRescale(minScale={MinScale}, maxScale={MaxScale})";
}
