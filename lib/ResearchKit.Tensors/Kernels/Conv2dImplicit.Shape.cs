using System.Numerics;

namespace ResearchKit.Tensors.Kernels;

internal static partial class Conv2dImplicit
{
    /// <summary>
    /// A convolution <c>out[n, m, oh, ow] = Σ w[m, ci, kh, kw] · in[n, ci, oh·SH + kh·DH − PH, ow·SW + kw·DW − PW]</c>
    /// (zero outside the input) and the zero-gapped buffer layout the implicit kernels read it from.
    /// Unlike <see cref="Conv2dGeometry"/> the padding may be negative and the output size is free, which the adjoint
    /// (input-gradient) convolution needs.
    /// </summary>
    /// <remarks>
    /// <para>Each input channel is split into stride phases (<c>phase[a, b][i, j] = in[i·SH + a, j·SW + b]</c>; only phases
    /// some tap reads are stored), so every tap is a stride-1 shift of one phase plane: tap <c>(kh, kw)</c> with
    /// <c>kh·DH − PH = dh·SH + a</c> reads phase row <c>oh + dh</c>. Phase planes are stored as channel-major strips of
    /// the block's images, each plane row followed by zeros up to the pitch <see cref="Wq"/> and each image by zero rows
    /// up to <see cref="Hs"/>. Output <c>(i, oh, ow)</c> of the block sits at extended column <c>i·Hs·Wq + oh·Wq + ow</c>,
    /// and row <c>(ci, kh, kw)</c> of the virtual im2col matrix over those columns starts at a fixed offset: the gaps are
    /// at least as wide as the farthest padded read, so every out-of-image read of a valid output lands on a zero.</para>
    /// </remarks>
    internal readonly struct Shape
    {
        public readonly int N, C, H, W, M, KH, KW, SH, SW, DH, DW, PH, PW, OutH, OutW, Groups;
        /// <summary>Phase plane size (<c>⌈H/SH⌉ × ⌈W/SW⌉</c>), layout pitch and rows per image.</summary>
        public readonly int Hp, Wp, Wq, Hs;
        /// <summary>Bit a set when some tap reads row phase a (column phase b).</summary>
        public readonly int PhaseMaskH, PhaseMaskW;
        /// <summary>Range of the phase-row (column) shifts dh (dw) over the taps.</summary>
        public readonly int DMinH, DMaxH, DMinW, DMaxW;

        public Shape(int n, int c, int h, int w, int m, int kh, int kw, int sh, int sw, int dh, int dw, int ph, int pw,
            int outH, int outW, int groups)
        {
            (N, C, H, W, M, KH, KW, SH, SW, DH, DW, PH, PW, OutH, OutW, Groups) =
                (n, c, h, w, m, kh, kw, sh, sw, dh, dw, ph, pw, outH, outW, groups);
            Hp = (h + sh - 1) / sh;
            Wp = (w + sw - 1) / sw;
            Taps(kh, dh, ph, sh, out PhaseMaskH, out DMinH, out DMaxH);
            Taps(kw, dw, pw, sw, out PhaseMaskW, out DMinW, out DMaxW);
            // Reads of valid outputs span phase rows [DMin, Out − 1 + DMax]: negative ones land in the previous image's
            // (or row's) gap, those past the plane in this one's; the extended grid also needs Out columns per pitch.
            Wq = Wp + Math.Max(Math.Max(0, -DMinW), Math.Max(OutW + DMaxW - Wp, OutW - Wp));
            Hs = Hp + Math.Max(Math.Max(0, -DMinH), Math.Max(OutH + DMaxH - Hp, OutH - Hp));
        }

        private static void Taps(int k, int dilation, int pad, int stride, out int mask, out int dMin, out int dMax)
        {
            mask = 0;
            dMin = int.MaxValue;
            dMax = int.MinValue;
            for (int t = 0; t < k; t++)
            {
                Split(t * dilation - pad, stride, out int d, out int phase);
                mask |= 1 << phase;
                dMin = Math.Min(dMin, d);
                dMax = Math.Max(dMax, d);
            }
        }

        /// <summary><c>r = d·stride + phase</c> with <c>0 ≤ phase &lt; stride</c> (floor division).</summary>
        public static void Split(int r, int stride, out int d, out int phase)
        {
            d = r >= 0 ? r / stride : -((-r + stride - 1) / stride);
            phase = r - d * stride;
        }

        public static Shape Of(in Conv2dGeometry g)
            => new(g.N, g.C, g.H, g.W, g.OutC, g.KH, g.KW, g.StrideH, g.StrideW, g.DilationH, g.DilationW, g.PadH, g.PadW,
                g.OutH, g.OutW, g.Groups);

        /// <summary>The stride-1 convolution computing gradInput from gradOutput (flipped, channel-transposed weight).</summary>
        public static Shape Adjoint(in Conv2dGeometry g)
            => new(g.N, g.OutC, g.OutH, g.OutW, g.C, g.KH, g.KW, 1, 1, g.DilationH, g.DilationW,
                (g.KH - 1) * g.DilationH - g.PadH, (g.KW - 1) * g.DilationW - g.PadW, g.H, g.W, g.Groups);

        public int GroupC => C / Groups;
        public int GroupM => M / Groups;
        /// <summary>Reduction length of one group: <c>GroupC·KH·KW</c>.</summary>
        public int K => GroupC * KH * KW;
        /// <summary>Stored phase planes per channel.</summary>
        public int Phases => BitOperations.PopCount((uint)PhaseMaskH) * BitOperations.PopCount((uint)PhaseMaskW);
        public int ImgStride => Hs * Wq;
        /// <summary>Zeros before the first plane: the most negative tap offset.</summary>
        public int Front => RoundUp(Math.Max(0, -(DMinH * Wq + DMinW)), 16);
        /// <summary>Slack after the last plane for the farthest tap of the last (partly garbage) tile.</summary>
        public int Tail => Math.Max(0, DMaxH) * Wq + Math.Max(0, DMaxW) + 64;
        /// <summary>Extended columns of a block of <paramref name="nb"/> images up to the last valid output.</summary>
        public int Columns(int nb) => (nb - 1) * ImgStride + (OutH - 1) * Wq + OutW;
        public int PaddedLength(int nb) => Front + C * Phases * nb * ImgStride + Tail;

        /// <summary>Offsets stay far from int overflow and phase masks fit an int.</summary>
        public bool Fits => SH <= 16 && SW <= 16
                            && (long)C * Phases * ImgStride * 2 + (long)Front + Tail + 64 < int.MaxValue / 4
                            && (long)M * ImgStride < int.MaxValue / 4;

        /// <summary>Images per block: the padded buffer stays near <see cref="BlockFloats"/>, at most the chunk size.</summary>
        public int BlockImages(int maxImages)
            => Math.Clamp(BlockFloats / Math.Max(1, C * Phases * ImgStride), 1, Math.Max(1, maxImages));

        /// <summary>Index of the stored plane of channel <paramref name="ci"/>, phases (a, b).</summary>
        public int Plane(int ci, int a, int b)
        {
            int nb = BitOperations.PopCount((uint)PhaseMaskW);
            int ia = BitOperations.PopCount((uint)(PhaseMaskH & ((1 << a) - 1)));
            int ib = BitOperations.PopCount((uint)(PhaseMaskW & ((1 << b) - 1)));
            return ci * Phases + ia * nb + ib;
        }
    }
}
