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
}
