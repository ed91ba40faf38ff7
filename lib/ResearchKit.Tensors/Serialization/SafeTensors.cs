namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// Saves and loads tensors and module state dicts as <c>.safetensors</c>, the format PyTorch users exchange weights in
/// (<c>safetensors.torch.save_file</c> / <c>load_file</c>).
/// </summary>
/// <example>
/// <code>
/// model.Save("resnet20.safetensors");                         // PyTorch names: layer1.0.conv1.weight ...
/// model.Load("resnet20.safetensors");                         // strict: lists missing/unexpected keys
/// var tensors = SafeTensors.Load("weights_from_pytorch.safetensors");
/// </code>
/// </example>
public static class SafeTensors
{
    /// <summary>Writes tensors atomically (temp file + rename), Float32 as F32 and Int64 as I64, in the dictionary's order.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">Tensors by name.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings (configs, versions).</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<SafeTensorEntry>(tensors.Count);
        foreach (var (name, t) in tensors) entries.Add(ToEntry(name, t));
        SafeTensorsFile.Write(path, entries, metadata);
    }

    /// <summary>Reads every tensor of a file. F16/BF16/F64 become Float32; integer and bool dtypes become Int64.</summary>
    /// <exception cref="SafeTensorsFormatException">The file is truncated or malformed (the message names the file and the fix).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path) => FromDocument(SafeTensorsFile.Read(path));

    /// <summary>Reads every tensor and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        var doc = SafeTensorsFile.Read(path);
        return (FromDocument(doc), doc.Metadata);
    }

    /// <summary>Converts a tensor to a format entry (contiguous copy of its elements, from any device).</summary>
    public static SafeTensorEntry ToEntry(string name, Tensor t)
    {
        var shape = new long[t.Dim];
        for (int i = 0; i < shape.Length; i++) shape[i] = t.Size(i);
        return t.DType == DType.Float32
            ? SafeTensorEntry.FromFloat32(name, t._dev is null ? t.ReadSpan() : t.ToArray(), shape)   // a device tensor is downloaded
            : SafeTensorEntry.FromInt64(name, t.ToInt64Array(), shape);
    }

    /// <summary>Converts a format entry to a tensor.</summary>
    /// <exception cref="NotSupportedException">A dimension exceeds <see cref="int.MaxValue"/>.</exception>
    public static Tensor ToTensor(SafeTensorEntry e)
    {
        var shape = new int[e.Shape.Count];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = e.Shape[i] <= int.MaxValue ? (int)e.Shape[i] : throw new NotSupportedException($"SafeTensors: tensor '{e.Name}' has dimension {e.Shape[i]}, larger than the engine supports.");
        return SafeTensorDTypes.IsFloatingPoint(e.DType)
            ? new Tensor(e.ToFloat32(), shape)
            : new Tensor(e.ToInt64(), shape);
    }

    private static Dictionary<string, Tensor> FromDocument(SafeTensorsDocument doc)
    {
        var d = new Dictionary<string, Tensor>(doc.Count);
        foreach (var e in doc.Entries) d[e.Name] = ToTensor(e);
        return d;
    }
}
