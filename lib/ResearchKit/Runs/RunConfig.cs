using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

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
/// <see cref="DefaultCodeVersion"/>, derived from the source of the engine and the kit and the SIMD path in use, so
/// any change to their code changes every hash. A completed run of an otherwise equal config recorded by another code
/// version is then <i>stale</i>: the run store finds it (<see cref="IRunStore.FindStale"/>) by
/// <see cref="KeyWithoutCodeVersion"/>, and <c>ExperimentRunner</c> trains again unless told to reuse it.</para>
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

    /// <summary>Name of the assembly metadata that holds the SHA-256 of a project's C# sources (lib/SourceHash.targets).</summary>
    public const string SourceHashMetadataKey = "ResearchKit.SourceHash";

    /// <summary>
    /// Code version used when none is given: <c>src-&lt;12 hex&gt;-&lt;simd&gt;</c>, e.g. <c>src-3f2a9c01d4e7-avx512</c>.
    /// </summary>
    /// <remarks>
    /// <para>The hex digits start the SHA-256 of the source hashes of ResearchKit.Tensors and ResearchKit. Each is
    /// computed at build time by <c>lib/SourceHash.targets</c> over the project's <c>@(Compile)</c> files (relative path
    /// and content, line endings normalized, sorted by path) and embedded as
    /// <c>[AssemblyMetadata("ResearchKit.SourceHash", ...)]</c>: editing any engine or kit source changes it, while
    /// Debug and Release builds of the same source agree.</para>
    /// <para>The suffix is the widest SIMD path the kernels take on this machine (<see cref="SimdPath"/>), since
    /// results differ in the last bits between paths.</para>
    /// </remarks>
    public static string DefaultCodeVersion => LazyCodeVersion.Value;

    // Lazy: a missing source hash fails where the version is used, not in RunConfig's type initializer.
    private static readonly Lazy<string> LazyCodeVersion = new(ComputeCodeVersion);

    /// <summary>
    /// The vector width the kernels use here: <c>avx512</c> (Vector512 accelerated), <c>avx2</c> (Vector256),
    /// <c>neon</c> or <c>sse</c> (Vector128 on Arm64 or x86), else <c>scalar</c>.
    /// </summary>
    public static string SimdPath { get; } =
        Vector512.IsHardwareAccelerated ? "avx512"
        : Vector256.IsHardwareAccelerated ? "avx2"
        : Vector128.IsHardwareAccelerated ? (RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "neon" : "sse")
        : "scalar";

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

    /// <summary>The <c>code_version</c> entry of a config's JSON, or null when it has none (or is not a JSON object).</summary>
    public static string? CodeVersionOf(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(CodeVersionKey, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
                : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// Lowercase hex SHA-256 of a config's JSON without its top-level <c>code_version</c> entry: equal for two configs
    /// that differ only in the code version (how a stale result is found). Null when the JSON is not an object.
    /// </summary>
    /// <remarks>Computed from the JSON text (entries in stored order, values as written), so the same function applied
    /// to a stored config and to a request agrees whatever the serializer's escaping.</remarks>
    public static string? KeyWithoutCodeVersion(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var sb = new StringBuilder("{");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.NameEquals(CodeVersionKey)) continue;
                if (sb.Length > 1) sb.Append(',');
                sb.Append(JsonSerializer.Serialize(p.Name)).Append(':').Append(p.Value.GetRawText());
            }
            return HashOf(sb.Append('}').ToString());
        }
        catch (JsonException) { return null; }
    }

    private static string ComputeCodeVersion()
    {
        // Engine first, then kit: both are part of the numbers a run produces.
        var parts = new[] { typeof(Tensors.Tensor).Assembly, typeof(RunConfig).Assembly }.Select(SourceHashOf);
        string combined = HashOf(string.Join("\n", parts));
        return $"src-{combined[..12]}-{SimdPath}";
    }

    private static string SourceHashOf(Assembly asm) =>
        asm.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == SourceHashMetadataKey)?.Value is { Length: > 0 } h ? h
        : throw new InvalidOperationException(
            $"RunConfig: assembly {asm.GetName().Name} has no [AssemblyMetadata(\"{SourceHashMetadataKey}\")] source hash; " +
            "build it with lib/SourceHash.targets imported (as lib/ResearchKit*.csproj do), or pass codeVersion explicitly.");
}
