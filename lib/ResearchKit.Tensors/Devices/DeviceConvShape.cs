namespace ResearchKit.Tensors.Devices;

/// <summary>The geometry of one 2-D convolution on a device: input (N, C, H, W), OutC filters of KH×KW, strides, padding, dilation, groups.</summary>
/// <param name="N">Batch.</param>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="OutC">Output channels.</param>
/// <param name="KH">Kernel height.</param>
/// <param name="KW">Kernel width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="PH">Rows of zero padding on each side.</param>
/// <param name="PW">Columns of zero padding on each side.</param>
/// <param name="DH">Vertical dilation.</param>
/// <param name="DW">Horizontal dilation.</param>
/// <param name="Groups">Channel groups.</param>
public readonly record struct DeviceConvShape(int N, int C, int H, int W, int OutC, int KH, int KW,
    int SH, int SW, int PH, int PW, int DH, int DW, int Groups);
