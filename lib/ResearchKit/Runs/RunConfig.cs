using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace ResearchKit.Runs;

/// <summary>
/// The canonical identity of a run: its full config as canonical JSON and the SHA-256 of that JSON. Two configs
/// with the same content hash the same regardless of key order or container types, so a finished experiment is
/// found again in the run store instead of being retrained.
/// </summary>
/// <remarks>
/// <para>Canonical form: keys sorted ordinally at every level, no whitespace, invariant culture; see
/// <see cref="CanonicalJson"/> for the value rules (numbers, NaN, enums...).</para>
/// <para>A top-level <c>"code_version"</c> entry is added unless the config already has one. It defaults to
/// <see cref="DefaultCodeVersion"/> (the ResearchKit assembly version without the commit suffix, so ordinary
/// commits keep cached results). Changing the code version changes every hash and therefore invalidates all cached
/// runs: bump it (or pass <c>codeVersion</c>) when a change alters numerical results.</para>
/// </remarks>
/// <example>
/// <code>
/// var cfg = RunConfig.From(new Dictionary&lt;string, object?&gt; { ["model"] = "lenet5", ["lr"] = 0.01, ["seed"] = 1 });
/// var run = store.StartOrResume(cfg.Hash, cfg.Json);
/// </code>
/// </example>
public sealed class RunConfig
{
    /// <summary>Name of the entry that records the code version.</summary>
    public const string CodeVersionKey = "code_version";

    private RunConfig(string json, string hash, string codeVersion)
    {
        Json = json;
        Hash = hash;
        CodeVersion = codeVersion;
    }

    /// <summary>Canonical JSON of the full config (including <c>code_version</c>).</summary>
    public string Json { get; }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 bytes of <see cref="Json"/> (64 characters).</summary>
    public string Hash { get; }

    /// <summary>The code version recorded in the config.</summary>
    public string CodeVersion { get; }

    /// <summary>
    /// Code version used when none is given: the ResearchKit assembly's informational version with any
    /// <c>+commit</c> build metadata removed (e.g. <c>1.0.0</c>).
    /// </summary>
    public static string DefaultCodeVersion { get; } = ReadAssemblyVersion();

    /// <summary>Builds the canonical config.</summary>
    /// <param name="config">Config entries: strings, bools, integers, floating point, enums, nested dictionaries and lists.</param>
    /// <param name="codeVersion">Overrides <see cref="DefaultCodeVersion"/>; ignored when <paramref name="config"/> already has a <c>code_version</c> entry.</param>
    /// <exception cref="ArgumentException">A value of an unsupported type, duplicate keys after conversion, or nesting deeper than 64 levels.</exception>
    public static RunConfig From(IReadOnlyDictionary<string, object?> config, string? codeVersion = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        object? Lookup(string key) => config.TryGetValue(key, out var v) ? v : null;
        string version;
        Dictionary<string, object?> full;
        if (config.ContainsKey(CodeVersionKey))
        {
            version = Lookup(CodeVersionKey)?.ToString()
                ?? throw new ArgumentException($"RunConfig.From: '{CodeVersionKey}' is null; remove it to use the default or give a version string.", nameof(config));
            full = new Dictionary<string, object?>(config, StringComparer.Ordinal);
        }
        else
        {
            version = codeVersion ?? DefaultCodeVersion;
            full = new Dictionary<string, object?>(config, StringComparer.Ordinal) { [CodeVersionKey] = version };
        }
        string json = CanonicalJson.Serialize(full);
        return new RunConfig(json, HashOf(json), version);
    }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 bytes of a JSON string (how <see cref="Hash"/> is computed).</summary>
    public static string HashOf(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Hash[..12]} {Json}";

    private static string ReadAssemblyVersion()
    {
        var asm = typeof(RunConfig).Assembly;
        string? v = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? asm.GetName().Version?.ToString();
        if (string.IsNullOrEmpty(v)) return "0.0.0";
        int plus = v.IndexOf('+');
        return plus >= 0 ? v[..plus] : v;
    }
}
