using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// One binary convolution with the batch norm and PACT activation after it, from bit-planes to bit-planes, as a binary network
/// chains them: the next layer's input codes come out packed, never as floats. Per image, <see cref="BinaryDirectConv"/>'s exact
/// sums, then in registers the float recovery of <see cref="IntegerMac"/>, the batch norm <c>fma(y, γ/σ, β − μ·γ/σ)</c> and PACT's
/// code <c>round(clamp(z, 0, α)/s)</c>, thresholded into the output's planes by a move mask per channel and a 64×64 bit transpose
/// per 64 pixels: the codes the modules' float path gives, bit for bit.
/// </summary>
/// <remarks>
/// Built from an <see cref="IntegerConv2d"/> on the binary path (1-bit weights, ungrouped, the same padding on both sides), its
/// batch norm (with running statistics, or none) and its <see cref="QuantReLU"/> with a <see cref="PactActivationQuantizer"/>.
/// A residual add is not fused here (see <see cref="Int8ResNetPipeline"/> for the int8 form of a whole ResNet).
/// </remarks>
public sealed class BinaryConvStage
{
    private readonly BinaryConvKernel _kernel;
    private readonly double[] _c1, _c2, _b;
    private readonly float[] _scale, _shift;
    private readonly float _alpha, _step;
    private readonly float[] _theta;   // θ_1..θ_{2^b − 1}: code(z) ≥ k ⇔ z ≥ θ_k

    // Up to this many output bits the epilogue compares with the thresholds (2^b − 1 compares); above, it divides.
    private const int ThresholdPlanes = 2;

    private BinaryConvStage(BinaryConvKernel kernel, float[] scale, float[] shift, float alpha, float step, int outPlanes, int outPad)
    {
        _kernel = kernel; _scale = scale; _shift = shift; _alpha = alpha; _step = step;
        OutPlanes = outPlanes; OutPad = outPad;
        int outC = kernel.OutC;
        _c1 = new double[outC]; _c2 = new double[outC]; _b = new double[outC];
        for (int o = 0; o < outC; o++) (_c1[o], _c2[o], _b[o]) = kernel.Recovery(o);
        _theta = new float[(1 << outPlanes) - 1];
        for (int k = 1; k <= _theta.Length; k++) _theta[k - 1] = Threshold(k);
    }

    // θ_k: the least float z whose PACT code is at least k (+∞ if none). The code round(clamp(z, 0, α)/s) is monotone in z
    // (clamp, division by s > 0 and rounding all are), so code(z) ≥ k exactly when z ≥ θ_k: the nested masks [z ≥ θ_k] give
    // the same codes as the division, without it. Found by bisection over the floats in their order.
    private float Threshold(int k)
    {
        static int Key(float f) { int i = BitConverter.SingleToInt32Bits(f); return i < 0 ? int.MinValue - i : i; }
        static float FromKey(int key) => BitConverter.Int32BitsToSingle(key < 0 ? int.MinValue - key : key);
        if (Code(float.MaxValue) < k) return float.PositiveInfinity;
        if (Code(float.MinValue) >= k) return float.NegativeInfinity;
        long lo = Key(float.MinValue), hi = Key(float.MaxValue);   // code(lo) < k ≤ code(hi)
        while (hi - lo > 1)
        {
            int mid = (int)(lo + (hi - lo) / 2);
            if (Code(FromKey(mid)) >= k) hi = mid; else lo = mid;
        }
        return FromKey((int)hi);
    }

    /// <summary>θ_1..θ_{2^b − 1} (tests).</summary>
    internal IReadOnlyList<float> Thresholds => _theta;

    // PACT's code of one value, as the scalar epilogue computes it.
    internal int Code(float z) => (int)MathF.Round(MathF.Min(MathF.Max(z, 0f), _alpha) / _step, MidpointRounding.ToEven);

    /// <summary>Input channels.</summary>
    public int InChannels => _kernel.Cg;

    /// <summary>Output channels.</summary>
    public int OutChannels => _kernel.OutC;

    /// <summary>Bits of the input codes.</summary>
    public int InPlanes => _kernel.Planes;

    /// <summary>Bits of the output codes (PACT's bit width).</summary>
    public int OutPlanes { get; }

    /// <summary>The border the input must carry: the convolution's padding.</summary>
    public int InPad => _kernel.Geo.Padding.H;

    /// <summary>The border written around the output (the next convolution's padding).</summary>
    public int OutPad { get; }

    /// <summary>Test hook: the portable scalar epilogue even where AVX-512 runs.</summary>
    internal bool ForceScalarEpilogue { get; set; }

    /// <summary>Builds the stage, or says why the layers do not fit.</summary>
    /// <param name="conv">An integer convolution on the binary path.</param>
    /// <param name="batchNorm">Its batch norm (a <see cref="BatchNorm2d"/> with running statistics), or null for none.</param>
    /// <param name="activation">A <see cref="QuantReLU"/> with a <see cref="PactActivationQuantizer"/>.</param>
    /// <param name="outPad">Zero border of the output, in pixels (the next convolution's padding).</param>
    /// <param name="stage">The stage, or null.</param>
    /// <param name="why">What does not fit, or null.</param>
    public static bool TryCreate(IntegerConv2d conv, Module? batchNorm, Module activation, int outPad, out BinaryConvStage? stage, out string? why)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(activation);
        stage = null;
        if (conv.FastKernel is not BinaryConvKernel k) { why = $"the convolution runs on the {conv.Kernel} path, not the binary one (1-bit weights, at most {BinaryConvKernel.MaxPlanes}-bit activations)."; return false; }
        if (k.Geo.Groups != 1) { why = $"the convolution has {k.Geo.Groups} groups; the stage runs ungrouped convolutions."; return false; }
        if (k.Geo.Padding.H != k.Geo.Padding.W) { why = $"the convolution pads {k.Geo.Padding.H} rows but {k.Geo.Padding.W} columns; bit-planes carry one border."; return false; }
        if (outPad < 0) { why = $"the output border is {outPad}; give 0 or more pixels."; return false; }
        (float[] Scale, float[] Shift) norm;
        if (batchNorm is null) norm = (Enumerable.Repeat(1f, k.OutC).ToArray(), new float[k.OutC]);
        else if (FusedEpilogue.BatchNormConstants(batchNorm) is { } bn && bn.Scale.Length == k.OutC) norm = bn;
        else { why = $"the batch norm is a {batchNorm.GetType().Name} without running statistics for {k.OutC} channels; pass a BatchNorm2d in evaluation form, or null."; return false; }
        var (alpha, step, whyAct) = FusedEpilogue.Pact(activation, "activation");
        if (whyAct is not null) { why = whyAct; return false; }
        int bits = ((PactActivationQuantizer)((QuantReLU)activation).Quantizer).BitWidth;
        if (bits > 8) { why = $"PACT has {bits} bits; bit-planes hold at most 8."; return false; }
        stage = new BinaryConvStage(k, norm.Scale, norm.Shift, alpha, step, bits, outPad);
        why = null;
        return true;
    }

    /// <summary>Builds the stage.</summary>
    /// <exception cref="ArgumentException">The layers do not fit (the message says what).</exception>
    public static BinaryConvStage Create(IntegerConv2d conv, Module? batchNorm, Module activation, int outPad = 1) =>
        TryCreate(conv, batchNorm, activation, outPad, out var s, out var why) ? s! : throw new ArgumentException($"BinaryConvStage: {why}", nameof(conv));

    /// <summary>The output size of an h × w input.</summary>
    public (int H, int W) OutSize(int h, int w) => _kernel.Geo.OutSize(h, w, _kernel.Kh, _kernel.Kw);

    /// <summary>The output codes of <paramref name="x"/>, in new bit-planes.</summary>
    public BitPlanes Forward(BitPlanes x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (oh, ow) = OutSize(x.H, x.W);
        if (oh < 1 || ow < 1) throw new ArgumentException($"BinaryConvStage: a {x.H}×{x.W} input gives no output pixel.", nameof(x));
        var y = new BitPlanes(x.N, OutPlanes, OutChannels, oh, ow, OutPad);
        Forward(x, y);
        return y;
    }

    /// <summary>The output codes of <paramref name="x"/> into <paramref name="y"/> (its whole contents are written).</summary>
    /// <exception cref="ArgumentException">A shape does not match the stage (the message names it).</exception>
    public void Forward(BitPlanes x, BitPlanes y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (ReferenceEquals(x, y)) throw new ArgumentException("BinaryConvStage: the output would overwrite the input it reads; pass another BitPlanes.", nameof(y));
        if (x.Channels != InChannels || x.Planes != InPlanes || x.Pad != InPad)
            throw new ArgumentException($"BinaryConvStage: the input has {x.Channels} channels of {x.Planes} bits with a border of {x.Pad}; " +
                $"the stage takes {InChannels} channels of {InPlanes} bits with a border of {InPad}.", nameof(x));
        var (oh, ow) = OutSize(x.H, x.W);
        if (y.N != x.N || y.Channels != OutChannels || y.Planes != OutPlanes || y.H != oh || y.W != ow || y.Pad != OutPad)
            throw new ArgumentException($"BinaryConvStage: the output holds {y.N}×{y.Channels}×{y.H}×{y.W} codes of {y.Planes} bits with a border of {y.Pad}; " +
                $"this input gives {x.N}×{OutChannels}×{oh}×{ow} of {OutPlanes} bits with a border of {OutPad}.", nameof(y));
        Array.Clear(y.Bits);
        Array.Clear(y.PixelSums);
        int n = x.N, p = oh * ow;
        if (n < Parallelism.Threads)
        {
            // Fewer images than threads: the product splits its rows over the threads, then the epilogue runs per image.
            var acc = ArrayPool<int>.Shared.Rent(n * OutChannels * p);
            var sumJ = ArrayPool<int>.Shared.Rent(n * p);
            try
            {
                _kernel.MultiplyPlanes(x, 0, n, oh, ow, acc, sumJ);
                for (int img = 0; img < n; img++) Epilogue(acc, img * OutChannels * p, sumJ, img * p, p, ow, y, img);
            }
            finally { ArrayPool<int>.Shared.Return(acc); ArrayPool<int>.Shared.Return(sumJ); }
            return;
        }
        // One image per parallel body: its sums (OutC·p ints) stay in the core's cache for the epilogue.
        Parallelism.For(n, img =>
        {
            var acc = ArrayPool<int>.Shared.Rent(OutChannels * p);
            var sumJ = ArrayPool<int>.Shared.Rent(p);
            try
            {
                _kernel.MultiplyPlanes(x, img, 1, oh, ow, acc, sumJ);
                Epilogue(acc, 0, sumJ, 0, p, ow, y, img);
            }
            finally { ArrayPool<int>.Shared.Return(acc); ArrayPool<int>.Shared.Return(sumJ); }
        });
    }

    // Image img's codes from its sums (at accAt and sumAt) into y's planes and pixel sums. First, per output channel over all its pixels, the codes
    // as one 64-bit mask per plane and 64 pixels (bit i: pixel i), rows[(t·blocks + blk)·64·cw + o]; then per plane, 64
    // channels and 64 pixels, a 64×64 bit transpose gives each pixel's word.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Epilogue(int[] accArray, int accAt, int[] sumArray, int sumAt, int p, int ow, BitPlanes y, int img)
    {
        int planes = OutPlanes, cw = y.Words, planeLen = y.Hp * y.Wp, wp = y.Wp, pad = y.Pad, blocks = (p + 63) / 64, ldr = 64 * cw;
        var rowsArray = ArrayPool<ulong>.Shared.Rent(planes * blocks * ldr);
        bool vector = Avx512F.IsSupported && !ForceScalarEpilogue;
        fixed (int* pa0 = accArray, ps0 = sumArray, sums = y.PixelSums)
        fixed (ulong* bits = y.Bits, rows = rowsArray)
        {
            int* pa = pa0 + accAt, ps = ps0 + sumAt;
            for (int o = 0; o < OutChannels; o++)
                if (vector && planes <= ThresholdPlanes) RowsByThresholds(pa + (long)o * p, ps, p, o, rows + o, blocks * ldr, ldr, planes);
                else RowsScalar(pa + (long)o * p, ps, p, o, rows + o, blocks * ldr, ldr, planes);
            for (int t = 0; t < planes; t++)
                for (int blk = 0; blk < blocks; blk++)
                    for (int o = OutChannels; o < ldr; o++) rows[(t * blocks + blk) * ldr + o] = 0;
            int* imageSums = sums + (long)img * planeLen;
            for (int q = 0; q < cw; q++)
            {
                ulong* plane0 = bits + ((long)img * planes * cw + q) * planeLen;
                for (int blk = 0; blk < blocks; blk++)
                {
                    int pix0 = blk * 64, len = Math.Min(64, p - pix0);
                    for (int t = 0; t < planes; t++) BitPlanes.Transpose64(rows + (t * blocks + blk) * ldr + q * 64);
                    // Pixel pix0 + i at padded (row, column), walked without a division per pixel.
                    int row = pix0 / ow, col = pix0 % ow;
                    for (int i = 0; i < len; i++)
                    {
                        long at = (long)(row + pad) * wp + col + pad;
                        int sum = 0;
                        for (int t = 0; t < planes; t++)
                        {
                            ulong word = rows[(t * blocks + blk) * ldr + q * 64 + i];
                            plane0[(long)t * cw * planeLen + at] = word;
                            sum += BitOperations.PopCount(word) << t;
                        }
                        imageSums[at] += sum;   // one term per 64 channels
                        if (++col == ow) { col = 0; row++; }
                    }
                }
            }
        }
        ArrayPool<ulong>.Shared.Return(rowsArray);
    }

    // Channel o's rows (see Epilogue; rows[t·planeStride + blk·ldr]) for b ≤ 2 output bits: z = fma(y, scale, shift) against
    // the thresholds, the nested masks M_k = [z ≥ θ_k] turned into the code's bits (bit t = XOR of the M_k with k a multiple of
    // 2^t). Sixteen pixels per step, a short last step through a zero-filled copy (its extra bits land past the pixels).
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RowsByThresholds(int* acc, int* sumJ, int p, int o, ulong* rows, int planeStride, int ldr, int planes)
    {
        var c1 = Vector512.Create(_c1[o]); var c2 = Vector512.Create(_c2[o]); var b = Vector512.Create(_b[o]);
        var scale = Vector512.Create(_scale[o]); var shift = Vector512.Create(_shift[o]);
        var t1 = Vector512.Create(_theta[0]);
        var t2 = Vector512.Create(planes > 1 ? _theta[1] : 0f); var t3 = Vector512.Create(planes > 1 ? _theta[2] : 0f);
        int* tail = stackalloc int[32];
        for (int pix0 = 0, blk = 0; pix0 < p; pix0 += 64, blk++)
        {
            ulong lowBits = 0, highBits = 0;
            for (int v = 0; v < 4 && pix0 + 16 * v < p; v++)
            {
                int at = pix0 + 16 * v;
                Vector512<int> a, s;
                if (at + 16 <= p) { a = Vector512.Load(acc + at); s = Vector512.Load(sumJ + at); }
                else
                {
                    for (int i = 0; i < 32; i++) tail[i] = 0;
                    for (int i = at; i < p; i++) { tail[i - at] = acc[i]; tail[16 + i - at] = sumJ[i]; }
                    a = Vector512.Load(tail); s = Vector512.Load(tail + 16);
                }
                // IntegerMac's y = c1·Σk·j + c2·Σj + b in double, left to right, rounded once to float (the binary kernel's zero point is 0).
                var lo = c1 * Avx512F.ConvertToVector512Double(a.GetLower()) + c2 * Avx512F.ConvertToVector512Double(s.GetLower()) + b;
                var hi = c1 * Avx512F.ConvertToVector512Double(a.GetUpper()) + c2 * Avx512F.ConvertToVector512Double(s.GetUpper()) + b;
                var z = Vector512.FusedMultiplyAdd(Vector512.Create(Avx512F.ConvertToVector256Single(lo), Avx512F.ConvertToVector256Single(hi)), scale, shift);
                ulong m1 = Vector512.GreaterThanOrEqual(z, t1).ExtractMostSignificantBits();
                if (planes == 1) lowBits |= m1 << (16 * v);
                else
                {
                    ulong m2 = Vector512.GreaterThanOrEqual(z, t2).ExtractMostSignificantBits(), m3 = Vector512.GreaterThanOrEqual(z, t3).ExtractMostSignificantBits();
                    lowBits |= (m1 ^ m2 ^ m3) << (16 * v);
                    highBits |= m2 << (16 * v);
                }
            }
            rows[blk * ldr] = lowBits;
            if (planes > 1) rows[planeStride + blk * ldr] = highBits;
        }
    }

    // Channel o's rows by PACT's division, one pixel at a time: any number of output bits, and CPUs without AVX-512 (and the
    // tests' check of the threshold path).
    private unsafe void RowsScalar(int* acc, int* sumJ, int p, int o, ulong* rows, int planeStride, int ldr, int planes)
    {
        for (int pix0 = 0, blk = 0; pix0 < p; pix0 += 64, blk++)
        {
            for (int t = 0; t < planes; t++) rows[t * planeStride + blk * ldr] = 0;
            for (int i = 0; i < Math.Min(64, p - pix0); i++)
            {
                float yv = (float)(_c1[o] * acc[pix0 + i] + _c2[o] * sumJ[pix0 + i] + _b[o]);
                int code = Code(MathF.FusedMultiplyAdd(yv, _scale[o], _shift[o]));
                for (int t = 0; t < planes; t++) rows[t * planeStride + blk * ldr] |= (ulong)((code >> t) & 1) << i;
            }
        }
    }
}
