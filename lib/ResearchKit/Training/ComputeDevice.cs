using ResearchKit.Gpu;
using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>
/// The device a notebook's or recipe's <c>device</c> setting names, ready for tensors: <c>"cpu"</c> (the engine itself, the
/// default), <c>"cuda"</c> / <c>"cuda:1"</c> (an NVIDIA GPU through ResearchKit.Gpu's ILGPU kernels; only the driver is
/// needed), or <c>"cpu-accelerator"</c> (the same GPU kernels run by ILGPU on the CPU: slow, for checking a device run on any
/// machine). The backend is registered on first use and kept for the process.
/// </summary>
public static class ComputeDevice
{
    /// <summary>Parses <paramref name="name"/> and registers its backend, once per process (later calls reuse it).</summary>
    /// <exception cref="ArgumentException">Not a device name (the message lists the valid ones), or a CUDA device this
    /// machine does not have (the message says how many the driver shows).</exception>
    public static Device Use(string name)
    {
        var device = Device.Parse(name);
        if (device.IsCpu) return device;
        try { GpuBackend.Register(device); }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"device '{name}': {e.Message} Or run on 'cpu' (the default).", nameof(name), e);
        }
        return device;
    }
}
