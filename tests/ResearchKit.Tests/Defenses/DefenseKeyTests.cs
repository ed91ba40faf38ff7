using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResearchKit.Defenses;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Defenses.EhdTestUtil;

namespace ResearchKit.Tests.Defenses;

/// <summary>The secret key: never shown, files of mode 600 re-read as the same key, a safe fingerprint, clear errors.</summary>
public sealed class DefenseKeyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ehd-key-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathIn(params string[] parts) => Path.Combine([_dir.FullName, .. parts]);

    [Fact]
    public void Secrecy_NoPrintedSerializedOrThrownFormShowsTheKey()
    {
        foreach (var key in new[] { DefenseKey.ForTesting(1), DefenseKey.Generate(), DefenseKey.LoadOrCreate(PathIn("k.key")) })
        {
            var raw = key.Bytes;
            Assert.Equal(32, raw.Length);
            var ehd = new EnsembleHashDefense(TinyMembers(3, 48), key, memberDescriptions: ["a", "b", "c"]);
            var oracle = ehd.AsOracle();
            oracle.Scores(RandomInputs(5, seed: 2, h: 4, w: 4));
            var texts = new Dictionary<string, string>
            {
                ["key.ToString"] = key.ToString(),
                ["$\"{key}\""] = $"{key}",
                ["defense.ToString"] = ehd.ToString(),
                ["defense.ExtraRepr"] = ehd.ExtraRepr(),
                ["oracle.ToString"] = oracle.ToString()!,
                ["router.ToString"] = new EhdRouter(key, 3).ToString(),
                ["Config canonical JSON"] = CanonicalJson.Serialize(ehd.Config),
                ["Config System.Text.Json"] = JsonSerializer.Serialize(ehd.Config),
                ["oracle System.Text.Json"] = JsonSerializer.Serialize<object>(oracle),
                ["state dict names"] = string.Join(",", ehd.StateDict().Keys),
            };
            foreach (var (where, text) in texts) AssertNoKey(text, raw, where);
            Assert.Contains(key.Fingerprint, key.ToString());
            Assert.Contains("redacted", key.ToString());

            // The state dict is the members' tensors and nothing else (no buffer carries the key).
            Assert.Equal(ehd.Members.Sum(m => m.StateDict().Count), ehd.StateDict().Count);

            // Serializing the key itself fails, without the key in the message.
            var json = Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize(key));
            AssertNoKey(json.Message, raw, "JsonSerializer error");
            var inConfig = Assert.ThrowsAny<Exception>(() => CanonicalJson.Serialize(new Dictionary<string, object?> { ["key"] = key }));
            AssertNoKey(inConfig.Message, raw, "CanonicalJson error");
        }
    }

    [Fact]
    public void Secrecy_ErrorMessagesAboutKeyFiles_HoldNoKeyMaterial()
    {
        var key = DefenseKey.ForTesting(3);
        var raw = key.Bytes.ToArray();
        var shortPath = PathIn("short.key");
        File.WriteAllBytes(shortPath, raw[..31]);
        var longPath = PathIn("long.key");
        File.WriteAllBytes(longPath, Enumerable.Repeat(raw, 200).SelectMany(b => b).ToArray());
        var messages = new List<string>
        {
            Assert.Throws<InvalidDataException>(() => DefenseKey.FromFile(shortPath)).Message,
            Assert.Throws<InvalidDataException>(() => DefenseKey.FromFile(longPath)).Message,
            Assert.Throws<InvalidDataException>(() => DefenseKey.LoadOrCreate(shortPath)).Message,
        };
        var ehd = new EnsembleHashDefense(TinyMembers(3, 48), key);
        messages.Add(Assert.Throws<ArgumentException>(() => ehd.Scores(Tensor.Zeros(3))).Message);
        messages.Add(Assert.Throws<ArgumentException>(() => ehd.Route(Tensor.Full([1, 48], float.NaN))).Message);
        foreach (var m in messages) AssertNoKey(m, raw, $"error '{m}'");
        foreach (var m in messages.Take(2)) AssertNoKey(m, raw.AsSpan(0, 31), "short-file error");
    }

    [Fact]
    public void KeyFileErrors_AreClear()
    {
        var missing = PathIn("nope", "ehd.key");
        var e = Assert.Throws<FileNotFoundException>(() => DefenseKey.FromFile(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("LoadOrCreate", e.Message);
        File.WriteAllBytes(PathIn("short.key"), new byte[16]);
        var s = Assert.Throws<InvalidDataException>(() => DefenseKey.FromFile(PathIn("short.key")));
        Assert.Contains("16 bytes", s.Message);
        Assert.Contains("32", s.Message);
        File.WriteAllBytes(PathIn("empty.key"), []);
        Assert.Throws<InvalidDataException>(() => DefenseKey.FromFile(PathIn("empty.key")));
    }

    [Fact]
    public void LoadOrCreate_WritesThirtyTwoRandomBytesWithMode600_AndRereadsTheSameKey()
    {
        var path = PathIn("config", "researchkit", "ehd.key");
        var created = DefenseKey.LoadOrCreate(path);
        Assert.Equal(32, new FileInfo(path).Length);
        Assert.Equal(created.Bytes.ToArray(), File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));   // no temporary file left behind

        var again = DefenseKey.LoadOrCreate(path);
        Assert.Equal(created.Bytes.ToArray(), again.Bytes.ToArray());
        Assert.Equal(created.Fingerprint, again.Fingerprint);
        Assert.False(again.IsForTesting);

        // An existing file is read, never replaced.
        var own = PathIn("own.key");
        File.WriteAllBytes(own, RandomNumberGenerator.GetBytes(40));
        var before = File.ReadAllBytes(own);
        Assert.Equal(before, DefenseKey.LoadOrCreate(own).Bytes.ToArray());
        Assert.Equal(before, File.ReadAllBytes(own));

        // Two fresh files hold different keys.
        Assert.NotEqual(created.Fingerprint, DefenseKey.LoadOrCreate(PathIn("other.key")).Fingerprint);
    }

    [Fact]
    public void DefaultPath_ComesFromTheEnvironmentVariable_ElseTheUserConfigFolder()
    {
        var saved = Environment.GetEnvironmentVariable(DefenseKey.KeyFileEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DefenseKey.KeyFileEnvironmentVariable, null);
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.Equal(Path.Combine(home, ".config", "researchkit", "ehd.key"), DefenseKey.DefaultPath);

            var path = PathIn("from-env.key");
            Environment.SetEnvironmentVariable(DefenseKey.KeyFileEnvironmentVariable, path);
            Assert.Equal(path, DefenseKey.DefaultPath);
            var key = DefenseKey.LoadOrCreate();
            Assert.True(File.Exists(path));
            Assert.Equal(key.Fingerprint, DefenseKey.FromFile(path).Fingerprint);
        }
        finally { Environment.SetEnvironmentVariable(DefenseKey.KeyFileEnvironmentVariable, saved); }
    }

    [Fact]
    public void Fingerprint_IsTheDocumentedDomainSeparatedSha256Prefix_AndTellsKeysApart()
    {
        var key = DefenseKey.ForTesting(4);
        var input = Encoding.UTF8.GetBytes("ResearchKit.EHD.key-fingerprint.v1").Concat(key.Bytes.ToArray()).ToArray();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)[..4]), key.Fingerprint);
        Assert.Matches("^[0-9a-f]{8}$", key.Fingerprint);
        Assert.Equal(key.Fingerprint, DefenseKey.ForTesting(4).Fingerprint);
        var prints = Enumerable.Range(0, 200).Select(i => DefenseKey.ForTesting(i).Fingerprint).ToHashSet();
        Assert.Equal(200, prints.Count);
        // Not the HMAC of anything routed: a fingerprint is not the leading bytes of the key or of SHA-256(key).
        Assert.NotEqual(Convert.ToHexStringLower(key.Bytes[..4]), key.Fingerprint);
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(key.Bytes)[..4]), key.Fingerprint);
    }

    [Fact]
    public void ForTesting_IsDeterministicAndMarked_GenerateIsFresh()
    {
        Assert.Equal(DefenseKey.ForTesting(5).Bytes.ToArray(), DefenseKey.ForTesting(5).Bytes.ToArray());
        Assert.NotEqual(DefenseKey.ForTesting(5).Bytes.ToArray(), DefenseKey.ForTesting(6).Bytes.ToArray());
        Assert.True(DefenseKey.ForTesting(5).IsForTesting);
        Assert.Contains("not secret", DefenseKey.ForTesting(5).ToString());
        Assert.False(DefenseKey.Generate().IsForTesting);
        Assert.NotEqual(DefenseKey.Generate().Bytes.ToArray(), DefenseKey.Generate().Bytes.ToArray());
        Assert.Null(typeof(DefenseKey).GetProperty("Bytes", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance));
        Assert.Empty(typeof(DefenseKey).GetCustomAttributes(typeof(SerializableAttribute), inherit: false));
    }
}
