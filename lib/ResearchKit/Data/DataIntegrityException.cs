namespace ResearchKit.Data;

/// <summary>A dataset file exists but is corrupt or incomplete: wrong size, checksum or format.</summary>
public sealed class DataIntegrityException : IOException
{
    /// <summary>Creates the exception; the message names the file, the expected and found values, and the fix.</summary>
    public DataIntegrityException(string message, Exception? inner = null) : base(message, inner) { }
}
