namespace ResearchKit.Tensors.Devices;

/// <summary>The geometry of one 2-D pooling on a device: input (N, C, H, W), KH×KW windows, strides, padding (floor mode, no dilation).</summary>
/// <param name="N">Batch.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="KH">Window height.</param>
/// <param name="KW">Window width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="PH">Rows of padding on each side.</param>
/// <param name="PW">Columns of padding on each side.</param>
public readonly record struct DevicePoolShape(int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW)
{
    /// <summary>Output height.</summary>
    public int OH => (H + 2 * PH - KH) / SH + 1;

    /// <summary>Output width.</summary>
    public int OW => (W + 2 * PW - KW) / SW + 1;
}
