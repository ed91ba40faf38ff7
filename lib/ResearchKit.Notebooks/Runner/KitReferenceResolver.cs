using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Resolves <c>#r "path"</c> like the Polyglot kernel: relative paths against the notebook's folder. A reference to
/// a kit assembly (<c>ResearchKit*.dll</c>) binds to the runner's own loaded copy, so there is one copy of each kit
/// type in the process (two copies would make <c>IRichDisplay</c> checks and shared statics fail). The referenced
/// file must still exist (so a wrong path in a notebook fails here as it would in VS Code), except that when the
/// Release build is named but only the Debug build exists (CI builds Debug) the Debug one is accepted.
/// </summary>
internal sealed class KitReferenceResolver : MetadataReferenceResolver
{
    private readonly string _baseDirectory;
    private readonly ImmutableDictionary<string, Assembly> _kit;
    private readonly ScriptMetadataResolver _inner;
    private readonly Action<string> _log;

    public KitReferenceResolver(string baseDirectory, IEnumerable<Assembly> kitAssemblies, Action<string> log)
    {
        _baseDirectory = baseDirectory;
        _kit = kitAssemblies.ToImmutableDictionary(a => a.GetName().Name!, a => a, StringComparer.OrdinalIgnoreCase);
        _inner = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);
        _log = log;
    }

    public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        if (reference.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase)) return [];
        string name = Path.GetFileNameWithoutExtension(reference);
        if (reference.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && _kit.TryGetValue(name, out var kit))
        {
            string dir = baseFilePath is { Length: > 0 } ? Path.GetDirectoryName(baseFilePath) ?? _baseDirectory : _baseDirectory;
            string full = Path.GetFullPath(Path.Combine(dir, reference));
            if (File.Exists(full)) return [MetadataReference.CreateFromFile(kit.Location, properties)];
            string debug = full.Replace($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
            if (debug != full && File.Exists(debug))
            {
                _log($"#r \"{reference}\": no Release build there, the Debug build exists; using the runner's {name}.dll");
                return [MetadataReference.CreateFromFile(kit.Location, properties)];
            }
            return [];
        }
        return _inner.ResolveReference(reference, baseFilePath, properties);
    }

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        _kit.TryGetValue(referenceIdentity.Name, out var kit)
            ? MetadataReference.CreateFromFile(kit.Location)
            : _inner.ResolveMissingAssembly(definition, referenceIdentity);

    public override bool Equals(object? other) =>
        other is KitReferenceResolver r && r._baseDirectory == _baseDirectory && r._kit.Count == _kit.Count;

    public override int GetHashCode() => HashCode.Combine(_baseDirectory, _kit.Count);
}
