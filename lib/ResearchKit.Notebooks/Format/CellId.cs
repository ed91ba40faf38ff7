using System.Security.Cryptography;

namespace ResearchKit.Notebooks.Format;

/// <summary>nbformat 4.5 cell ids: 1–64 characters from <c>[a-zA-Z0-9-_]</c>, unique within a notebook.</summary>
public static class CellId
{
    /// <summary>Whether <paramref name="id"/> is a valid nbformat 4.5 cell id.</summary>
    /// <param name="id">The candidate id.</param>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64) return false;
        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        return true;
    }

    /// <summary>A fresh random id (8 hex characters, like Jupyter) that is not in <paramref name="taken"/>.</summary>
    /// <param name="taken">Ids already used in the notebook.</param>
    public static string New(ICollection<string>? taken = null)
    {
        while (true)
        {
            string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            if (taken is null || !taken.Contains(id)) return id;
        }
    }
}
