using ResearchKit.Tensors.Serialization;

namespace ResearchKit.Tensors.Nn;

/// <summary>Saving and loading a module's state dict as <c>.safetensors</c>.</summary>
public static class ModuleSerialization
{
    /// <summary>Writes the module's state dict (PyTorch names) atomically to <paramref name="path"/>.</summary>
    public static void Save(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Save(path, module.StateDict(), metadata);

    /// <summary>Loads a state dict from <paramref name="path"/> into the module (see <see cref="Module.LoadStateDict"/>).</summary>
    /// <exception cref="ArgumentException">Keys are missing/unexpected (strict) or shapes differ.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is corrupt or truncated.</exception>
    public static (List<string> Missing, List<string> Unexpected) Load(this Module module, string path, bool strict = true) =>
        module.LoadStateDict(SafeTensors.Load(path), strict);
}
