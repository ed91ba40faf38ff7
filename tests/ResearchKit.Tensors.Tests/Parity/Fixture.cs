using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Parity;

/// <summary>
/// A PyTorch parity fixture (see tests/fixtures/README.md): tensors by key plus the "config" metadata.
/// Read with a minimal, independent safetensors parser so the tests do not trust the library's own reader.
/// </summary>
public sealed class Fixture
{
    private readonly Dictionary<string, Tensor> _tensors;

    private Fixture(string name, Dictionary<string, Tensor> tensors, JsonElement config)
    {
        Name = name; _tensors = tensors; Config = config;
    }

    /// <summary>Fixture name (file name without extension).</summary>
    public string Name { get; }

    /// <summary>Hyper-parameters stored in <c>__metadata__["config"]</c>.</summary>
    public JsonElement Config { get; }

    /// <summary>All keys.</summary>
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <summary>Tensor by key (a fresh copy each call, so tests can mutate it).</summary>
    public Tensor this[string key] => _tensors.TryGetValue(key, out var t)
        ? (t.DType == DType.Int64 ? Tensor.FromArray(t.ToInt64Array(), t.Shape.ToArray()) : Tensor.FromArray(t.ToArray(), t.Shape.ToArray()))
        : throw new KeyNotFoundException($"Fixture {Name} has no key '{key}'. Keys: {string.Join(", ", _tensors.Keys)}");

    /// <summary>True when the key exists.</summary>
    public bool Has(string key) => _tensors.ContainsKey(key);

    /// <summary>Integer config value.</summary>
    public int Int(string key) => Config.GetProperty(key).GetInt32();

    /// <summary>Float config value.</summary>
    public float Float(string key) => Config.GetProperty(key).GetSingle();

    /// <summary>Bool config value.</summary>
    public bool Bool(string key) => Config.GetProperty(key).GetBoolean();

    /// <summary>Pair config value such as <c>[h, w]</c>.</summary>
    public (int, int) Pair(string key)
    {
        var e = Config.GetProperty(key);
        return e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[1].GetInt32()) : (e.GetInt32(), e.GetInt32());
    }

    /// <summary>State dict from the <c>param.*</c> keys (prefix stripped).</summary>
    public Dictionary<string, Tensor> Params(string prefix = "param.")
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var k in _tensors.Keys) if (k.StartsWith(prefix, StringComparison.Ordinal)) d[k[prefix.Length..]] = this[k];
        return d;
    }

    /// <summary>Asserts <paramref name="actual"/> matches the fixture tensor <paramref name="key"/> (default 1e-4 rel, 1e-5 abs).</summary>
    public void AssertClose(string key, Tensor actual, double rtol = 1e-4, double atol = 1e-5) =>
        Tests.AssertClose.Equal(this[key], actual, rtol, atol, $"{Name}:{key}");

    /// <summary>Loads tests/fixtures/&lt;name&gt;.safetensors (copied next to the test assembly).</summary>
    public static Fixture Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".safetensors");
        Assert.True(File.Exists(path), $"Missing fixture {path}; regenerate with /usr/bin/python3 tests/fixtures/make_fixtures.py");
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var data = bytes.AsSpan(8 + (int)n);
        var tensors = new Dictionary<string, Tensor>();
        JsonElement config = default;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                if (p.Value.TryGetProperty("config", out var c)) config = JsonDocument.Parse(c.GetString()!).RootElement.Clone();
                continue;
            }
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var raw = data[off[0]..off[1]];
            string dtype = p.Value.GetProperty("dtype").GetString()!;
            tensors[p.Name] = dtype switch
            {
                "F32" => Tensor.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray(), shape),
                "I64" => Tensor.FromArray(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray(), shape),
                _ => throw new InvalidDataException($"{name}: unsupported dtype {dtype}"),
            };
        }
        return new Fixture(name, tensors, config);
    }
}
