namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Validated shape of a 2-D convolution on NCHW data, following <c>torch.nn.Conv2d</c>:
/// input <c>[N, C, H, W]</c>, weight <c>[OutC, C/Groups, KH, KW]</c>, bias <c>[OutC]</c>, output <c>[N, OutC, OutH, OutW]</c>
/// with <c>OutH = floor((H + 2·PadH − DilationH·(KH − 1) − 1) / StrideH) + 1</c> (same for W).
/// </summary>
/// <remarks>
/// The constructor throws on any inconsistent value, so a constructed geometry is always usable by the kernels.
/// A <c>default</c> instance is not valid; kernels reject it.
/// </remarks>
public readonly record struct Conv2dGeometry
{
    /// <summary>Creates and validates a convolution geometry (PyTorch argument names in snake_case map 1:1).</summary>
    /// <param name="n">Batch size (may be 0).</param>
    /// <param name="c">Input channels (<c>in_channels</c>).</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="outC">Output channels (<c>out_channels</c>).</param>
    /// <param name="kh">Kernel height.</param>
    /// <param name="kw">Kernel width.</param>
    /// <param name="strideH">Vertical stride.</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="padH">Zero padding added on top and bottom.</param>
    /// <param name="padW">Zero padding added left and right.</param>
    /// <param name="dilationH">Vertical spacing between kernel taps.</param>
    /// <param name="dilationW">Horizontal spacing between kernel taps.</param>
    /// <param name="groups">Number of blocked connections; both channel counts must be divisible by it.</param>
    /// <exception cref="ArgumentException">A size is out of range or the shapes are inconsistent; the message names the fix.</exception>
    public Conv2dGeometry(int n, int c, int h, int w, int outC, int kh, int kw,
        int strideH = 1, int strideW = 1, int padH = 0, int padW = 0,
        int dilationH = 1, int dilationW = 1, int groups = 1)
        : this(n, c, h, w, outC, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, -1, -1, "Conv2d")
    {
    }

    /// <summary>
    /// Used by <see cref="ConvTranspose2dGeometry"/>: the adjoint convolution of a transposed convolution may have a
    /// formula output larger than the transposed input (when output_padding ≥ stride); the extra rows/columns are
    /// simply never read, so the output size is pinned to the given value.
    /// </summary>
    internal Conv2dGeometry(int n, int c, int h, int w, int outC, int kh, int kw,
        int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups,
        int outHOverride, int outWOverride, string op)
    {
        Require(n >= 0, op, $"batch size must be non-negative, got N={n}.");
        Require(c >= 1 && outC >= 1, op, $"channel counts must be positive, got in_channels={c}, out_channels={outC}.");
        Require(h >= 1 && w >= 1, op, $"input height and width must be positive, got H={h}, W={w}.");
        Require(kh >= 1 && kw >= 1, op, $"kernel size must be positive, got ({kh}, {kw}).");
        Require(strideH >= 1 && strideW >= 1, op, $"stride must be positive, got ({strideH}, {strideW}).");
        Require(padH >= 0 && padW >= 0, op, $"padding must be non-negative, got ({padH}, {padW}).");
        Require(dilationH >= 1 && dilationW >= 1, op, $"dilation must be positive, got ({dilationH}, {dilationW}).");
        Require(groups >= 1, op, $"groups must be positive, got {groups}.");
        Require(c % groups == 0, op, $"in_channels ({c}) must be divisible by groups ({groups}); choose groups dividing both channel counts.");
        Require(outC % groups == 0, op, $"out_channels ({outC}) must be divisible by groups ({groups}); choose groups dividing both channel counts.");
        long effKh = (long)dilationH * (kh - 1) + 1, effKw = (long)dilationW * (kw - 1) + 1;
        long padded = h + 2L * padH, paddedW = w + 2L * padW;
        Require(effKh <= padded && effKw <= paddedW, op,
            $"dilated kernel size ({effKh}x{effKw}) is larger than the padded input ({padded}x{paddedW}) " +
            $"for input {h}x{w}, kernel {kh}x{kw}, padding ({padH}, {padW}), dilation ({dilationH}, {dilationW}); " +
            "use a smaller kernel or dilation, or more padding.");
        long elements = Math.Max((long)n * c * h * w, (long)outC * (c / groups) * kh * kw);
        Require(elements <= int.MaxValue, op, $"tensor with {elements} elements exceeds the 2^31-1 span limit.");

        N = n; C = c; H = h; W = w; OutC = outC; KH = kh; KW = kw;
        StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        DilationH = dilationH; DilationW = dilationW; Groups = groups;
        OutH = outHOverride >= 0 ? outHOverride : (int)((padded - effKh) / strideH + 1);
        OutW = outWOverride >= 0 ? outWOverride : (int)((paddedW - effKw) / strideW + 1);
        Require((long)n * outC * OutH * OutW <= int.MaxValue, op, "output exceeds the 2^31-1 span limit.");
    }

    /// <summary>Batch size.</summary>
    public int N { get; }
    /// <summary>Input channels.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Output channels.</summary>
    public int OutC { get; }
    /// <summary>Kernel height.</summary>
    public int KH { get; }
    /// <summary>Kernel width.</summary>
    public int KW { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Vertical zero padding (each side).</summary>
    public int PadH { get; }
    /// <summary>Horizontal zero padding (each side).</summary>
    public int PadW { get; }
    /// <summary>Vertical dilation.</summary>
    public int DilationH { get; }
    /// <summary>Horizontal dilation.</summary>
    public int DilationW { get; }
    /// <summary>Number of groups.</summary>
    public int Groups { get; }
    /// <summary>Output height.</summary>
    public int OutH { get; }
    /// <summary>Output width.</summary>
    public int OutW { get; }

    /// <summary>Input channels per group (<c>C / Groups</c>).</summary>
    public int GroupC => C / Groups;
    /// <summary>Output channels per group (<c>OutC / Groups</c>).</summary>
    public int GroupOutC => OutC / Groups;
    /// <summary>Rows of one group's im2col matrix: <c>GroupC · KH · KW</c>.</summary>
    public int ColRows => GroupC * KH * KW;
    /// <summary>Elements of the input, <c>N·C·H·W</c>.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of the weight, <c>OutC·(C/Groups)·KH·KW</c>.</summary>
    public int WeightLength => OutC * ColRows;
    /// <summary>Elements of the output, <c>N·OutC·OutH·OutW</c>.</summary>
    public int OutputLength => N * OutC * OutH * OutW;
    /// <summary>True for 1×1 kernels with stride 1 and no padding, where the input plane already is the im2col matrix.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0
                               && OutH == H && OutW == W;

    /// <summary>Throws if this is a <c>default</c> (never validated) instance.</summary>
    internal void EnsureInitialized(string op)
    {
        if (Groups == 0)
            throw new ArgumentException($"{op}: the geometry is uninitialized (default struct); construct it with its constructor.");
    }

    private static void Require(bool ok, string op, string message)
    {
        if (!ok) throw new ArgumentException($"{op}: {message}");
    }
}
