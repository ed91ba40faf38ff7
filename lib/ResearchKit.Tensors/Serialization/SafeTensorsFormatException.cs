namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// A safetensors file or buffer violates the format. The message names the file, the tensor (when one is at fault),
/// the problem and the likely fix.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed; a single
/// <c>catch (IOException)</c> around a load therefore handles missing, unreadable and corrupt checkpoints alike.
/// </remarks>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public SafeTensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and the error that caused it.</summary>
    public SafeTensorsFormatException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with the file and tensor it concerns; both are also put into the message.</summary>
    /// <param name="problem">What is wrong and how to fix it.</param>
    /// <param name="fileName">Path of the file, or a description such as <c>"&lt;stream&gt;"</c>.</param>
    /// <param name="tensorName">Tensor at fault, or null when the problem is not specific to one tensor.</param>
    /// <param name="innerException">Underlying error, e.g. a <see cref="System.Text.Json.JsonException"/>.</param>
    public SafeTensorsFormatException(string problem, string? fileName, string? tensorName, Exception? innerException = null)
        : base(Compose(problem, fileName, tensorName), innerException)
    {
        FileName = fileName;
        TensorName = tensorName;
    }

    /// <summary>Path of the offending file, or a description of the source; null if not known.</summary>
    public string? FileName { get; }

    /// <summary>Name of the offending tensor; null when the problem concerns the file as a whole.</summary>
    public string? TensorName { get; }

    private static string Compose(string problem, string? fileName, string? tensorName)
    {
        string where = fileName is null ? "Invalid safetensors data" : $"Invalid safetensors file '{fileName}'";
        return tensorName is null ? $"{where}: {problem}" : $"{where}: tensor '{tensorName}': {problem}";
    }
}
