namespace ResearchKit.Tensors.Nn;

/// <summary>Moving a module between devices.</summary>
public static class ModuleDevice
{
    /// <summary>
    /// Moves every parameter and buffer of <paramref name="module"/> (and its children) to <paramref name="device"/> in place and
    /// returns the module (<c>module.to(device)</c>): the parameter objects stay the same, so an optimizer built before the
    /// move keeps working. Inputs must then be moved too; ops refuse mixed devices with an error naming both. Int64 buffers
    /// (counters such as batch norm's <c>num_batches_tracked</c>) stay on the host, which reads them every step.
    /// </summary>
    /// <exception cref="InvalidOperationException">No backend is registered for <paramref name="device"/>.</exception>
    public static T To<T>(this T module, Device device) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (_, p) in module.NamedParameters()) p.MoveStorageTo(device);
        // Int64 buffers (batch norm's num_batches_tracked) are counters the host reads every step: they stay on the host.
        foreach (var (_, b) in module.NamedBuffers()) if (b.DType == DType.Float32) b.MoveStorageTo(device);
        return module;
    }

    /// <summary>The device of <paramref name="module"/>'s parameters (the CPU for a module without any), where its inputs must go.</summary>
    /// <exception cref="InvalidOperationException">Its parameters live on more than one device (the message names two).</exception>
    public static Device DeviceOf(this Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        (string Name, Device Device)? first = null;
        foreach (var (name, p) in module.NamedParameters())
        {
            if (first is null) first = (name, p.Device);
            else if (p.Device != first.Value.Device)
                throw new InvalidOperationException($"DeviceOf: the module's parameters are on several devices ('{first.Value.Name}' on {first.Value.Device}, '{name}' on {p.Device}); move the whole module with module.To(device).");
        }
        return first?.Device ?? Device.Cpu;
    }
}
