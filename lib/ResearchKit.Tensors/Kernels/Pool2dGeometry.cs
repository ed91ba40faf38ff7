namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Validated shape of a 2-D max or average pooling on NCHW data (<c>torch.nn.MaxPool2d</c> / <c>AvgPool2d</c>):
/// input <c>[N, C, H, W]</c>, output <c>[N, C, OutH, OutW]</c>.
/// </summary>
/// <remarks>
/// <c>OutH = floor_or_ceil((H + 2·PadH − DilationH·(KH − 1) − 1) / StrideH) + 1</c>; with <c>ceil_mode</c> the last
/// window is dropped if it would start in the right/bottom padding (PyTorch's rule: it must start inside the input
/// or the left/top padding). As in PyTorch, padding may be at most half the kernel size.
/// </remarks>
public readonly record struct Pool2dGeometry
{
    /// <summary>Creates and validates a pooling geometry.</summary>
    /// <param name="n">Batch size (may be 0).</param>
    /// <param name="c">Channels.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="kh">Window height.</param>
    /// <param name="kw">Window width.</param>
    /// <param name="strideH">Vertical stride; <c>null</c> means the window height (PyTorch's <c>stride=None</c>).</param>
    /// <param name="strideW">Horizontal stride; <c>null</c> means the window width.</param>
    /// <param name="padH">Implicit padding on top and bottom (−∞ for max, 0 for average pooling).</param>
    /// <param name="padW">Implicit padding left and right.</param>
    /// <param name="dilationH">Vertical spacing between window taps (max pooling only).</param>
    /// <param name="dilationW">Horizontal spacing between window taps (max pooling only).</param>
    /// <param name="ceilMode">Use ceil instead of floor for the output size.</param>
    /// <exception cref="ArgumentException">A size is out of range or the output would be empty; the message names the fix.</exception>
    public Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int? strideH = null, int? strideW = null,
        int padH = 0, int padW = 0, int dilationH = 1, int dilationW = 1, bool ceilMode = false)
    {
        const string op = "Pool2d";
        int sh = strideH ?? kh, sw = strideW ?? kw;
        Require(n >= 0 && c >= 1 && h >= 1 && w >= 1, op, $"need N >= 0 and positive C, H, W, got N={n}, C={c}, H={h}, W={w}.");
        Require(kh >= 1 && kw >= 1, op, $"kernel_size must be positive, got ({kh}, {kw}).");
        Require(sh >= 1 && sw >= 1, op, $"stride must be positive, got ({sh}, {sw}).");
        Require(dilationH >= 1 && dilationW >= 1, op, $"dilation must be positive, got ({dilationH}, {dilationW}).");
        Require(padH >= 0 && padW >= 0, op, $"padding must be non-negative, got ({padH}, {padW}).");
        Require(padH <= kh / 2 && padW <= kw / 2, op,
            $"padding ({padH}, {padW}) must be at most half of kernel_size ({kh}, {kw}); reduce padding or enlarge the kernel.");
        long outH = OutputSize(h, kh, padH, sh, dilationH, ceilMode);
        long outW = OutputSize(w, kw, padW, sw, dilationW, ceilMode);
        Require(outH >= 1 && outW >= 1, op,
            $"output size {outH}x{outW} is too small for input {h}x{w}, kernel ({kh}, {kw}), stride ({sh}, {sw}), padding ({padH}, {padW}), dilation ({dilationH}, {dilationW}); use a smaller kernel/dilation or a larger input.");
        Require((long)n * c * h * w <= int.MaxValue, op, "input exceeds the 2^31-1 span limit.");

        N = n; C = c; H = h; W = w; KH = kh; KW = kw; StrideH = sh; StrideW = sw;
        PadH = padH; PadW = padW; DilationH = dilationH; DilationW = dilationW; CeilMode = ceilMode;
        OutH = (int)outH; OutW = (int)outW;
    }

    /// <summary>Batch size.</summary>
    public int N { get; }
    /// <summary>Channels.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Window height.</summary>
    public int KH { get; }
    /// <summary>Window width.</summary>
    public int KW { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Vertical padding (each side).</summary>
    public int PadH { get; }
    /// <summary>Horizontal padding (each side).</summary>
    public int PadW { get; }
    /// <summary>Vertical dilation.</summary>
    public int DilationH { get; }
    /// <summary>Horizontal dilation.</summary>
    public int DilationW { get; }
    /// <summary>Whether the output size was rounded up.</summary>
    public bool CeilMode { get; }
    /// <summary>Output height.</summary>
    public int OutH { get; }
    /// <summary>Output width.</summary>
    public int OutW { get; }

    /// <summary>Number of <c>H×W</c> planes, <c>N·C</c>.</summary>
    public int Planes => N * C;
    /// <summary>Elements of the input, <c>N·C·H·W</c>.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of the output, <c>N·C·OutH·OutW</c>.</summary>
    public int OutputLength => N * C * OutH * OutW;

    /// <summary>PyTorch's <c>pooling_output_shape</c> for one dimension (symmetric padding).</summary>
    public static long OutputSize(long input, long kernel, long pad, long stride, long dilation, bool ceilMode)
    {
        long numerator = input + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long size = FloorDiv(numerator, stride) + 1;
        // Ceil mode must not create a window that starts in the right padding.
        if (ceilMode && (size - 1) * stride >= input + pad) size--;
        return size;
    }

    /// <summary>Throws if this is a <c>default</c> (never validated) instance.</summary>
    internal void EnsureInitialized(string op)
    {
        if (StrideH == 0)
            throw new ArgumentException($"{op}: the geometry is uninitialized (default struct); construct it with its constructor.");
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static void Require(bool ok, string op, string message)
    {
        if (!ok) throw new ArgumentException($"{op}: {message}");
    }
}
