using System.Text.Json;
using ResearchKit.Runs;
using Xunit;

namespace ResearchKit.Tests.Runs;

public class RunConfigTests
{
    private enum Optimizer { Sgd, Adam }

    private static RunConfig Cfg(Dictionary<string, object?> d, string version = "test-1") => RunConfig.From(d, version);

    [Fact]
    public void Json_IsSortedCompactAndIncludesCodeVersion()
    {
        var cfg = Cfg(new() { ["b"] = 1, ["a"] = "x", ["C"] = true, ["_"] = null });
        Assert.Equal("{\"C\":true,\"_\":null,\"a\":\"x\",\"b\":1,\"code_version\":\"test-1\"}", cfg.Json);
        Assert.Equal("test-1", cfg.CodeVersion);
        Assert.Matches("^[0-9a-f]{64}$", cfg.Hash);
        Assert.Equal(RunConfig.HashOf(cfg.Json), cfg.Hash);
    }

    [Fact]
    public void Hash_IndependentOfKeyOrderAndContainerTypes()
    {
        var a = new Dictionary<string, object?>
        {
            ["model"] = new Dictionary<string, object?> { ["name"] = "lenet5", ["channels"] = new[] { 6, 16 } },
            ["lr"] = 0.01, ["seed"] = 1L,
        };
        var b = new Dictionary<string, object?>
        {
            ["seed"] = 1, // int vs long: same number
            ["lr"] = 0.01,
            ["model"] = new SortedDictionary<string, object> { ["channels"] = new List<int> { 6, 16 }, ["name"] = "lenet5" },
        };
        Assert.Equal(Cfg(a).Json, Cfg(b).Json);
        Assert.Equal(Cfg(a).Hash, Cfg(b).Hash);
        // A JSON config (e.g. read from a file, with whitespace and another key order) canonicalizes identically.
        using var doc = JsonDocument.Parse("{ \"seed\" : 1, \"model\": {\"name\":\"lenet5\", \"channels\":[6, 16]},\n \"lr\": 0.01 }");
        var c = new Dictionary<string, object?>();
        foreach (var p in doc.RootElement.EnumerateObject()) c[p.Name] = p.Value.Clone();
        Assert.Equal(Cfg(a).Hash, Cfg(c).Hash);
    }

    [Fact]
    public void Hash_ChangesWithAnyValueAndWithCodeVersion()
    {
        var baseCfg = new Dictionary<string, object?> { ["lr"] = 0.1, ["seed"] = 1, ["layers"] = new[] { 1, 2 } };
        string h = Cfg(baseCfg).Hash;
        Assert.NotEqual(h, Cfg(new() { ["lr"] = 0.1000000001, ["seed"] = 1, ["layers"] = new[] { 1, 2 } }).Hash);
        Assert.NotEqual(h, Cfg(new() { ["lr"] = 0.1, ["seed"] = 2, ["layers"] = new[] { 1, 2 } }).Hash);
        Assert.NotEqual(h, Cfg(new() { ["lr"] = 0.1, ["seed"] = 1, ["layers"] = new[] { 2, 1 } }).Hash); // list order matters
        Assert.NotEqual(h, Cfg(baseCfg, "test-2").Hash);
        // An explicit code_version entry wins over the argument.
        var explicitVersion = new Dictionary<string, object?>(baseCfg) { ["code_version"] = "pinned" };
        Assert.Equal("pinned", RunConfig.From(explicitVersion, "ignored").CodeVersion);
        Assert.Equal(RunConfig.From(explicitVersion).Hash, RunConfig.From(explicitVersion, "other").Hash);
    }

    [Fact]
    public void DefaultCodeVersion_IsSourceHashAndSimdPath_NotTheAssemblyVersion()
    {
        string v = RunConfig.DefaultCodeVersion;
        Assert.Matches("^src-[0-9a-f]{12}-(avx512|avx2|sse|neon|scalar)$", v);
        Assert.NotEqual("1.0.0", v);
        Assert.EndsWith("-" + RunConfig.SimdPath, v);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, RunConfig.SimdPath == "avx512");
        Assert.Equal(v, RunConfig.DefaultCodeVersion); // stable within a process
        Assert.Equal(v, RunConfig.From(new Dictionary<string, object?>()).CodeVersion);
    }

    /// <summary>
    /// The hash embedded at build time is the hash of the checked-out sources (same rule as lib/SourceHash.targets), so
    /// editing any engine or kit file and rebuilding changes the code version; the configuration plays no part.
    /// </summary>
    [Theory]
    [InlineData("ResearchKit.Tensors")]
    [InlineData("ResearchKit")]
    public void EmbeddedSourceHash_IsTheHashOfTheProjectsSources(string project)
    {
        var asm = project == "ResearchKit" ? typeof(RunConfig).Assembly : typeof(ResearchKit.Tensors.Tensor).Assembly;
        string? embedded = asm.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == RunConfig.SourceHashMetadataKey)?.Value;
        Assert.NotNull(embedded);
        Assert.Matches("^[0-9a-f]{64}$", embedded);

        string? repo = AppContext.BaseDirectory;
        while (repo is not null && !File.Exists(Path.Combine(repo, "ResearchKit.sln"))) repo = Path.GetDirectoryName(repo);
        Assert.NotNull(repo);
        string root = Path.Combine(repo, "lib", project);
        var lines = new System.Text.StringBuilder();
        foreach (var rel in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                     .Where(r => !r.StartsWith("obj/", StringComparison.Ordinal) && !r.StartsWith("bin/", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(Path.Combine(root, rel)).Replace("\r\n", "\n");
            lines.Append(rel).Append('\0').Append(RunConfig.HashOf(text)).Append('\n');
        }
        Assert.Equal(RunConfig.HashOf(lines.ToString()), embedded);
    }

    [Fact]
    public void KeyWithoutCodeVersion_IgnoresOnlyTheCodeVersion()
    {
        var a = RunConfig.From(new Dictionary<string, object?> { ["lr"] = 0.1, ["model"] = "m\u00e9" }, "v1");
        var b = RunConfig.From(new Dictionary<string, object?> { ["model"] = "m\u00e9", ["lr"] = 0.1 }, "v2");
        var c = RunConfig.From(new Dictionary<string, object?> { ["lr"] = 0.2, ["model"] = "m\u00e9" }, "v1");
        Assert.NotEqual(a.Hash, b.Hash);
        Assert.Equal(RunConfig.KeyWithoutCodeVersion(a.Json), RunConfig.KeyWithoutCodeVersion(b.Json));
        Assert.NotEqual(RunConfig.KeyWithoutCodeVersion(a.Json), RunConfig.KeyWithoutCodeVersion(c.Json));
        Assert.Equal("v2", RunConfig.CodeVersionOf(b.Json));
        Assert.Null(RunConfig.CodeVersionOf("{\"lr\":1}"));
        Assert.Null(RunConfig.KeyWithoutCodeVersion("[1]"));
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(3.0, "3")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e20, "1E+20")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(-0.0, "0")]
    [InlineData(double.NaN, "\"NaN\"")]
    [InlineData(double.PositiveInfinity, "\"Infinity\"")]
    [InlineData(double.NegativeInfinity, "\"-Infinity\"")]
    public void Doubles_UseShortestRoundTripInvariantForm(double value, string expected)
    {
        Assert.Equal(expected, CanonicalJson.Serialize(value));
        if (double.IsFinite(value)) Assert.Equal(value == 0 ? 0.0 : value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Numbers_OtherTypesAndCultureIndependence()
    {
        Assert.Equal("0.1", CanonicalJson.Serialize(0.1f)); // the float's own shortest form, not 0.10000000149011612
        Assert.Equal("0.5", CanonicalJson.Serialize((Half)0.5));
        Assert.Equal("1.25", CanonicalJson.Serialize(1.25m));
        Assert.Equal("18446744073709551615", CanonicalJson.Serialize(ulong.MaxValue));
        Assert.Equal("-9223372036854775808", CanonicalJson.Serialize(long.MinValue));
        Assert.Equal("\"NaN\"", CanonicalJson.Serialize(float.NaN));
        // NaN payloads and signs all print the same.
        Assert.Equal(CanonicalJson.Serialize(double.NaN), CanonicalJson.Serialize(BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_0000_0001UL))));
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture.Clone() is System.Globalization.CultureInfo ci
                ? SetCommaDecimal(ci) : saved;
            Assert.Equal("[1.5,2]", CanonicalJson.Serialize(new object[] { 1.5, 2.0 }));
        }
        finally { System.Globalization.CultureInfo.CurrentCulture = saved; }

        static System.Globalization.CultureInfo SetCommaDecimal(System.Globalization.CultureInfo ci)
        {
            ci.NumberFormat.NumberDecimalSeparator = ",";
            return ci;
        }
    }

    [Fact]
    public void NestedStructures_EnumsStringsAndOtherScalars()
    {
        var value = new Dictionary<string, object?>
        {
            ["opt"] = Optimizer.Adam,
            ["nested"] = new Dictionary<string, object?>
            {
                ["z"] = new List<object?> { 1, "two", null, new Dictionary<string, object?> { ["y"] = false, ["x"] = 0.25 } },
                ["a"] = Array.Empty<int>(),
                ["m"] = new Dictionary<string, object?>(),
            },
            ["text"] = "quote\" back\\ nl\n tab\t ctl\u0001 é 😀",
            ["lone"] = "\ud800",
            ["ts"] = TimeSpan.FromMinutes(90),
            ["c"] = 'q',
            ["by_int"] = new Dictionary<int, string> { [10] = "ten", [2] = "two" },
        };
        Assert.Equal(
            "{\"by_int\":{\"10\":\"ten\",\"2\":\"two\"},\"c\":\"q\",\"lone\":\"\\ud800\"," +
            "\"nested\":{\"a\":[],\"m\":{},\"z\":[1,\"two\",null,{\"x\":0.25,\"y\":false}]},\"opt\":\"Adam\"," +
            "\"text\":\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 é 😀\",\"ts\":\"01:30:00\"}",
            CanonicalJson.Serialize(value));
        // The output is valid JSON that parses back to the same content.
        using var doc = JsonDocument.Parse(CanonicalJson.Serialize(value));
        Assert.Equal("Adam", doc.RootElement.GetProperty("opt").GetString());
        Assert.Equal("quote\" back\\ nl\n tab\t ctl\u0001 é 😀", doc.RootElement.GetProperty("text").GetString());
        Assert.Equal(0.25, doc.RootElement.GetProperty("nested").GetProperty("z")[3].GetProperty("x").GetDouble());
    }

    [Fact]
    public void Hash_IsStableAcrossVersions()
    {
        // Hard-coded (cross-checked with Python: json.dumps(sort_keys=True, separators=(",",":")) + hashlib.sha256).
        // If this changes, every stored run's hash changes and all cached results are lost.
        var cfg = RunConfig.From(new Dictionary<string, object?>
        {
            ["recipe"] = "mnist-cnn", ["preset"] = "quick", ["seed"] = 42, ["lr"] = 0.01, ["momentum"] = 0.9,
            ["epochs"] = 3, ["augment"] = false, ["widths"] = new[] { 32, 64 }, ["opt"] = Optimizer.Sgd,
            ["data"] = new Dictionary<string, object?> { ["name"] = "mnist", ["batch_size"] = 128 },
        }, "1.0.0");
        Assert.Equal(
            "{\"augment\":false,\"code_version\":\"1.0.0\",\"data\":{\"batch_size\":128,\"name\":\"mnist\"},\"epochs\":3," +
            "\"lr\":0.01,\"momentum\":0.9,\"opt\":\"Sgd\",\"preset\":\"quick\",\"recipe\":\"mnist-cnn\",\"seed\":42,\"widths\":[32,64]}",
            cfg.Json);
        Assert.Equal("53839157755f748eb85743f1e67eeac42121ec3c4cd5b5bec8b1fca60de9011c", cfg.Hash);
    }

    [Fact]
    public void UnsupportedValues_ThrowWithPathAndFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => RunConfig.From(new Dictionary<string, object?>
        {
            ["model"] = new Dictionary<string, object?> { ["layers"] = new object[] { 1, new object() } },
        }, "v"));
        Assert.Contains("$.model.layers[1]", ex.Message);
        Assert.Contains("System.Object", ex.Message);
        Assert.Contains("Dictionary<string, object?>", ex.Message);

        var dup = Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(new Dictionary<object, object?> { [1] = "a", ["1"] = "b" }));
        Assert.Contains("duplicate key '1'", dup.Message);

        var cyclic = new List<object?>();
        cyclic.Add(cyclic);
        Assert.Contains("cyclic", Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(cyclic)).Message);

        Assert.Contains("code_version", Assert.Throws<ArgumentException>(() =>
            RunConfig.From(new Dictionary<string, object?> { ["code_version"] = null })).Message);
    }
}
