using System.Globalization;

namespace ResearchKit.Tensors;

/// <summary>Kind of <see cref="Device"/>.</summary>
public enum DeviceType
{
    /// <summary>The host: the engine's SIMD kernels over managed arrays.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through a registered backend (ResearchKit.Gpu).</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator through the same backend: runs the GPU kernels on any machine, for tests.</summary>
    CpuAccelerator,
}

/// <summary>
/// Where a tensor's storage lives (<c>torch.device</c>): <see cref="Cpu"/>, <see cref="Cuda"/>(i), or the GPU kernels'
/// test device <see cref="CpuAccelerator"/>. A device other than the CPU needs its backend registered first
/// (<c>ResearchKit.Gpu.GpuBackend.Register</c>); see <see cref="Devices.DeviceBackends"/>.
/// </summary>
/// <param name="Type">The kind of device.</param>
/// <param name="Index">The device's ordinal among those of its kind (0 for the CPU).</param>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The host.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>ILGPU's CPU accelerator: the GPU kernels, run on the host (slow; for tests and for machines without a GPU).</summary>
    public static Device CpuAccelerator => new(DeviceType.CpuAccelerator);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static Device Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new(DeviceType.Cuda, index);
    }

    /// <summary>True for the host.</summary>
    public bool IsCpu => Type == DeviceType.Cpu;

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c> or <c>cpu-accelerator</c> (a notebook's <c>device</c> parameter).</summary>
    /// <exception cref="ArgumentException">Anything else; the message lists the accepted forms.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return Cpu;
        if (s == "cpu-accelerator") return CpuAccelerator;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int i))
            return Cuda(i);
        throw new ArgumentException($"Device.Parse: '{text}' is not a device; use 'cpu', 'cuda', 'cuda:<index>' or 'cpu-accelerator'.", nameof(text));
    }

    /// <summary>The PyTorch-style name: <c>cpu</c>, <c>cuda:0</c>, <c>cpu-accelerator</c>.</summary>
    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Cuda => $"cuda:{Index.ToString(CultureInfo.InvariantCulture)}",
        _ => "cpu-accelerator",
    };
}
