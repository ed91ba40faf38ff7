namespace ResearchKit.Data;

/// <summary>A dataset file could not be found locally and could not (or may not) be downloaded.</summary>
public sealed class DataNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception; the message says which file, where it was looked for and how to get it.</summary>
    public DataNotFoundException(string message, string? fileName = null, Exception? inner = null)
        : base(message, fileName, inner) { }
}
