namespace ResearchKit.Tensors.Devices;

/// <summary>The registered backends, one per device (the CPU needs none: it is the engine itself).</summary>
public static class DeviceBackends
{
    private static readonly Dictionary<Device, DeviceBackend> Backends = [];

    /// <summary>Makes <paramref name="backend"/> the kernels of its device (replacing an earlier one).</summary>
    /// <exception cref="ArgumentException">The backend claims the CPU.</exception>
    public static void Register(DeviceBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Device.IsCpu) throw new ArgumentException("DeviceBackends.Register: the CPU is the engine itself and takes no backend.", nameof(backend));
        lock (Backends) Backends[backend.Device] = backend;
    }

    /// <summary>Removes the backend of <paramref name="device"/>, if any; tensors already there keep theirs.</summary>
    public static void Unregister(Device device)
    {
        lock (Backends) Backends.Remove(device);
    }

    /// <summary>The backend registered for <paramref name="device"/>, if any.</summary>
    public static bool TryGet(Device device, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceBackend? backend)
    {
        lock (Backends) return Backends.TryGetValue(device, out backend);
    }

    /// <summary>The backend of <paramref name="device"/>.</summary>
    /// <exception cref="InvalidOperationException">None is registered; the message says how to register one.</exception>
    public static DeviceBackend For(Device device)
    {
        lock (Backends)
            if (Backends.TryGetValue(device, out var b)) return b;
        throw new InvalidOperationException($"No backend is registered for device '{device}'. Reference ResearchKit.Gpu and call " +
            $"GpuBackend.Register(Device.Parse(\"{device}\")) first (it needs an NVIDIA driver for cuda; 'cpu-accelerator' runs anywhere).");
    }
}
