namespace ResearchKit.Tensors.Nn;

/// <summary>Moving a module between devices.</summary>
public static class ModuleDevice
{
    /// <summary>
    /// Moves every parameter and buffer of <paramref name="module"/> (and its children) to <paramref name="device"/> in place and
    /// returns the module (<c>module.to(device)</c>): the parameter objects stay the same, so an optimizer built before the
    /// move keeps working. Inputs must then be moved too; ops refuse mixed devices with an error naming both.
    /// </summary>
    /// <exception cref="InvalidOperationException">No backend is registered for <paramref name="device"/>.</exception>
    public static T To<T>(this T module, Device device) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (_, p) in module.NamedParameters()) p.MoveStorageTo(device);
        foreach (var (_, b) in module.NamedBuffers()) b.MoveStorageTo(device);
        return module;
    }
}
