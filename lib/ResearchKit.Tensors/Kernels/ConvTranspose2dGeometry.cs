namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Validated shape of a 2-D transposed convolution on NCHW data, following <c>torch.nn.ConvTranspose2d</c>:
/// input <c>[N, C, H, W]</c>, weight <c>[C, OutC/Groups, KH, KW]</c>, bias <c>[OutC]</c>, output <c>[N, OutC, OutH, OutW]</c>
/// with <c>OutH = (H − 1)·StrideH − 2·PadH + DilationH·(KH − 1) + OutputPaddingH + 1</c> (same for W).
/// </summary>
/// <remarks>
/// A transposed convolution is the adjoint (input gradient) of the convolution <see cref="Adjoint"/> that maps
/// <c>[N, OutC, OutH, OutW]</c> to <c>[N, C, H, W]</c> with the same weight tensor; the kernels are built on that identity.
/// </remarks>
public readonly record struct ConvTranspose2dGeometry
{
    /// <summary>Creates and validates a transposed-convolution geometry.</summary>
    /// <param name="n">Batch size (may be 0).</param>
    /// <param name="c">Input channels (<c>in_channels</c>).</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="outC">Output channels (<c>out_channels</c>).</param>
    /// <param name="kh">Kernel height.</param>
    /// <param name="kw">Kernel width.</param>
    /// <param name="strideH">Vertical stride.</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="padH">Implicit padding removed from top and bottom of the output (<c>dilation·(k−1) − padding</c> zero-padding of the input).</param>
    /// <param name="padW">Implicit padding removed from left and right of the output.</param>
    /// <param name="outputPaddingH">Extra rows added at the bottom of the output; must be smaller than stride or dilation.</param>
    /// <param name="outputPaddingW">Extra columns added at the right of the output; must be smaller than stride or dilation.</param>
    /// <param name="dilationH">Vertical spacing between kernel taps.</param>
    /// <param name="dilationW">Horizontal spacing between kernel taps.</param>
    /// <param name="groups">Number of blocked connections; both channel counts must be divisible by it.</param>
    /// <exception cref="ArgumentException">A size is out of range or the shapes are inconsistent; the message names the fix.</exception>
    public ConvTranspose2dGeometry(int n, int c, int h, int w, int outC, int kh, int kw,
        int strideH = 1, int strideW = 1, int padH = 0, int padW = 0, int outputPaddingH = 0, int outputPaddingW = 0,
        int dilationH = 1, int dilationW = 1, int groups = 1)
    {
        const string op = "ConvTranspose2d";
        Require(outputPaddingH >= 0 && outputPaddingW >= 0, op, $"output_padding must be non-negative, got ({outputPaddingH}, {outputPaddingW}).");
        Require(n >= 0 && c >= 1 && outC >= 1 && h >= 1 && w >= 1, op,
            $"need N >= 0 and positive channels and sizes, got N={n}, in_channels={c}, out_channels={outC}, H={h}, W={w}.");
        Require(kh >= 1 && kw >= 1 && strideH >= 1 && strideW >= 1 && dilationH >= 1 && dilationW >= 1 && padH >= 0 && padW >= 0, op,
            $"kernel ({kh}, {kw}), stride ({strideH}, {strideW}) and dilation ({dilationH}, {dilationW}) must be positive and padding ({padH}, {padW}) non-negative.");
        Require(groups >= 1 && c % groups == 0 && outC % groups == 0, op,
            $"in_channels ({c}) and out_channels ({outC}) must both be divisible by groups ({groups}); choose groups dividing both channel counts.");
        Require((outputPaddingH < strideH || outputPaddingH < dilationH) && (outputPaddingW < strideW || outputPaddingW < dilationW), op,
            $"output_padding ({outputPaddingH}, {outputPaddingW}) must be smaller than either stride ({strideH}, {strideW}) or dilation ({dilationH}, {dilationW}); reduce output_padding.");
        long outH = (long)(h - 1) * strideH - 2L * padH + (long)dilationH * (kh - 1) + outputPaddingH + 1;
        long outW = (long)(w - 1) * strideW - 2L * padW + (long)dilationW * (kw - 1) + outputPaddingW + 1;
        Require(outH >= 1 && outW >= 1, op,
            $"computed output size {outH}x{outW} is not positive for input {h}x{w}, kernel {kh}x{kw}, stride ({strideH}, {strideW}), padding ({padH}, {padW}), dilation ({dilationH}, {dilationW}); reduce padding.");
        Require(outH <= int.MaxValue && outW <= int.MaxValue, op, $"output size {outH}x{outW} is too large.");

        // The adjoint convolution runs from the transposed output back to the transposed input; its own
        // formula output may exceed H/W when output_padding >= stride, so pin it to the real input size.
        Adjoint = new Conv2dGeometry(n, outC, (int)outH, (int)outW, c, kh, kw, strideH, strideW, padH, padW,
            dilationH, dilationW, groups, h, w, op);
        OutputPaddingH = outputPaddingH;
        OutputPaddingW = outputPaddingW;
    }

    /// <summary>The convolution whose input gradient this transposed convolution computes (input and output swapped).</summary>
    public Conv2dGeometry Adjoint { get; }
    /// <summary>Batch size.</summary>
    public int N => Adjoint.N;
    /// <summary>Input channels.</summary>
    public int C => Adjoint.OutC;
    /// <summary>Input height.</summary>
    public int H => Adjoint.OutH;
    /// <summary>Input width.</summary>
    public int W => Adjoint.OutW;
    /// <summary>Output channels.</summary>
    public int OutC => Adjoint.C;
    /// <summary>Output height.</summary>
    public int OutH => Adjoint.H;
    /// <summary>Output width.</summary>
    public int OutW => Adjoint.W;
    /// <summary>Kernel height.</summary>
    public int KH => Adjoint.KH;
    /// <summary>Kernel width.</summary>
    public int KW => Adjoint.KW;
    /// <summary>Vertical stride.</summary>
    public int StrideH => Adjoint.StrideH;
    /// <summary>Horizontal stride.</summary>
    public int StrideW => Adjoint.StrideW;
    /// <summary>Vertical padding.</summary>
    public int PadH => Adjoint.PadH;
    /// <summary>Horizontal padding.</summary>
    public int PadW => Adjoint.PadW;
    /// <summary>Extra output rows at the bottom.</summary>
    public int OutputPaddingH { get; }
    /// <summary>Extra output columns at the right.</summary>
    public int OutputPaddingW { get; }
    /// <summary>Vertical dilation.</summary>
    public int DilationH => Adjoint.DilationH;
    /// <summary>Horizontal dilation.</summary>
    public int DilationW => Adjoint.DilationW;
    /// <summary>Number of groups.</summary>
    public int Groups => Adjoint.Groups;
    /// <summary>Elements of the input, <c>N·C·H·W</c>.</summary>
    public int InputLength => Adjoint.OutputLength;
    /// <summary>Elements of the weight, <c>C·(OutC/Groups)·KH·KW</c>.</summary>
    public int WeightLength => Adjoint.WeightLength;
    /// <summary>Elements of the output, <c>N·OutC·OutH·OutW</c>.</summary>
    public int OutputLength => Adjoint.InputLength;

    private static void Require(bool ok, string op, string message)
    {
        if (!ok) throw new ArgumentException($"{op}: {message}");
    }
}
