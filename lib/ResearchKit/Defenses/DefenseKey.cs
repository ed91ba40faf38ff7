using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResearchKit.Defenses;

/// <summary>
/// The defender's secret of the Ensemble Hash Defense (thesis §6.4.3: the hash is "propagated with a random value chosen
/// by the defender"): the HMAC key that, with the input, decides which member answers. An attacker who knew it could
/// compute every route and attack each member alone.
/// </summary>
/// <remarks>
/// <para><b>Never revealed.</b> The bytes have no public getter (the kit reads them internally to compute the HMAC);
/// <see cref="ToString"/> prints only the <see cref="Fingerprint"/>; System.Text.Json refuses to serialize a key and
/// <see cref="Runs.CanonicalJson"/> rejects it as an unsupported type; no exception message holds key material.
/// Record <see cref="Fingerprint"/> in configs, results and notebooks, never the key.</para>
/// <para><b>Reproducible without committing it.</b> <see cref="LoadOrCreate"/> keeps the key in a file outside the
/// repository (default <c>~/.config/researchkit/ehd.key</c>, or <c>$RESEARCHKIT_EHD_KEY_FILE</c>), created once with
/// 32 random bytes and Unix mode 600, so every run on that machine routes inputs the same way.</para>
/// </remarks>
[JsonConverter(typeof(DefenseKeyJsonConverter))]
[DebuggerDisplay("{ToString(),nq}")]
public sealed class DefenseKey
{
    /// <summary>Bytes of a generated key: 32, HMAC-SHA256's digest length, the shortest key RFC 2104 recommends.</summary>
    public const int DefaultLength = 32;

    /// <summary>Shortest key accepted from a file (32 bytes = 256 bits of secret).</summary>
    public const int MinLength = 32;

    /// <summary>Longest key file accepted; a longer file is more likely a wrong path (a model, an image) than a key.</summary>
    public const int MaxLength = 4096;

    /// <summary>Environment variable naming the key file that <see cref="LoadOrCreate"/> uses by default.</summary>
    public const string KeyFileEnvironmentVariable = "RESEARCHKIT_EHD_KEY_FILE";

    // Domain strings: the fingerprint and the test keys are SHA-256 over these, so neither ever equals an HMAC the
    // defense computes nor any other hash of the key.
    private const string FingerprintDomain = "ResearchKit.EHD.key-fingerprint.v1";
    private const string TestingDomain = "ResearchKit.EHD.testing-key.v1";

    private readonly byte[] _bytes;

    private DefenseKey(byte[] bytes, bool isForTesting)
    {
        _bytes = bytes;
        IsForTesting = isForTesting;
        Fingerprint = ComputeFingerprint(bytes);
    }

    /// <summary>
    /// Eight lowercase hex characters identifying the key in run configs and cached results: the first 4 bytes of
    /// SHA-256(UTF-8("ResearchKit.EHD.key-fingerprint.v1") ‖ key).
    /// </summary>
    /// <remarks>
    /// Safe to publish: SHA-256 is one-way, and 32 bits of its output leave about 2^224 of the 2^256 possible 32-byte
    /// random keys consistent with a fingerprint, so it narrows nothing an attacker could search. It is also useless for
    /// predicting routes: the routes are HMAC-SHA256 under the key, and the fingerprint is a different function of it
    /// (the domain string separates them). Two keys share a fingerprint with probability 2^-32, so it tells runs with
    /// different keys apart. (A <see cref="ForTesting"/> key has a guessable seed and is not secret anyway.)
    /// </remarks>
    public string Fingerprint { get; }

    /// <summary>Key length in bytes (not secret: a file's size tells as much).</summary>
    public int Length => _bytes.Length;

    /// <summary>True for a <see cref="ForTesting"/> key, which anyone who knows the seed can rebuild.</summary>
    public bool IsForTesting { get; }

    /// <summary>The raw key, for the HMAC only: internal, never printed, logged or serialized.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A fresh key of <see cref="DefaultLength"/> bytes from the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
    public static DefenseKey Generate() => new(RandomNumberGenerator.GetBytes(DefaultLength), isForTesting: false);

    /// <summary>
    /// A deterministic key derived from <paramref name="seed"/>, for tests and examples only. It is <b>not secret</b>:
    /// anyone who knows or guesses the seed has the key. Never use it for reported robustness results.
    /// </summary>
    /// <remarks>The bytes are SHA-256(UTF-8("ResearchKit.EHD.testing-key.v1") ‖ seed as 8 little-endian bytes).</remarks>
    public static DefenseKey ForTesting(long seed)
    {
        var domain = Encoding.UTF8.GetBytes(TestingDomain);
        var input = new byte[domain.Length + 8];
        domain.CopyTo(input, 0);
        BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(domain.Length), seed);
        return new DefenseKey(SHA256.HashData(input), isForTesting: true);
    }

    /// <summary>Reads a key file: its raw bytes are the key (no encoding, no trailing newline).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message says how to create one).</exception>
    /// <exception cref="InvalidDataException">The file holds fewer than <see cref="MinLength"/> or more than <see cref="MaxLength"/> bytes.</exception>
    public static DefenseKey FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"EHD key file '{path}' does not exist. Create one with DefenseKey.LoadOrCreate(\"{path}\") ({DefaultLength} random bytes, mode 600), " +
                $"or set {KeyFileEnvironmentVariable} to an existing key file.", path);
        long size = new FileInfo(path).Length;
        if (size < MinLength || size > MaxLength)
            throw new InvalidDataException(
                $"EHD key file '{path}' holds {size} bytes; a key file must hold {MinLength} to {MaxLength} raw random bytes. " +
                (size < MinLength
                    ? "Delete it and let DefenseKey.LoadOrCreate write a new one (routes will change), or point to the right file."
                    : "Is the path right? A key file is small (LoadOrCreate writes 32 bytes)."));
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < MinLength || bytes.Length > MaxLength)   // the file changed between the two reads
            throw new InvalidDataException($"EHD key file '{path}' changed size while being read ({bytes.Length} bytes); read it again once nothing writes it.");
        return new DefenseKey(bytes, isForTesting: false);
    }

    /// <summary>
    /// The key file <see cref="LoadOrCreate"/> uses when given no path: <c>$RESEARCHKIT_EHD_KEY_FILE</c> if set, else
    /// <c>~/.config/researchkit/ehd.key</c>.
    /// </summary>
    public static string DefaultPath
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(KeyFileEnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".config", "researchkit", "ehd.key");
        }
    }

    /// <summary>
    /// The key in <paramref name="path"/> (default <see cref="DefaultPath"/>), created first if absent: 32 bytes from the
    /// CSPRNG, written to a temporary file of Unix mode 600 (owner read/write only) in a folder created with mode 700,
    /// then moved into place, so a crash never leaves a partial key and two processes racing agree on one key.
    /// </summary>
    /// <remarks>Mode bits are not applied on Windows, where the file inherits the folder's ACL.</remarks>
    /// <exception cref="InvalidDataException">The existing file is not a valid key (see <see cref="FromFile"/>).</exception>
    public static DefenseKey LoadOrCreate(string? path = null)
    {
        path ??= DefaultPath;
        if (File.Exists(path)) return FromFile(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"EHD key file '{path}' has no parent folder; give a file path.", nameof(path));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                // The umask can only remove bits from 600; set it anyway so the mode does not depend on the umask.
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                stream.Write(RandomNumberGenerator.GetBytes(DefaultLength));
                stream.Flush(flushToDisk: true);
            }
            try { File.Move(temp, full, overwrite: false); }
            catch (IOException) when (File.Exists(full)) { /* another process created it first: use theirs */ }
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return FromFile(full);
    }

    /// <summary>Redacted: the fingerprint and length only, never the bytes.</summary>
    public override string ToString() =>
        $"DefenseKey(fingerprint={Fingerprint}, {Length} bytes redacted{(IsForTesting ? ", for testing: not secret" : "")})";

    private static string ComputeFingerprint(byte[] key)
    {
        var domain = Encoding.UTF8.GetBytes(FingerprintDomain);
        var input = new byte[domain.Length + key.Length];
        domain.CopyTo(input, 0);
        key.CopyTo(input, domain.Length);
        var digest = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        return Convert.ToHexStringLower(digest.AsSpan(0, 4));
    }

    // Makes JsonSerializer fail loudly instead of writing a key's public properties as if it were a value.
    private sealed class DefenseKeyJsonConverter : JsonConverter<DefenseKey>
    {
        public override DefenseKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("DefenseKey cannot be deserialized; load it with DefenseKey.FromFile or DefenseKey.LoadOrCreate.");

        public override void Write(Utf8JsonWriter writer, DefenseKey value, JsonSerializerOptions options) =>
            throw new NotSupportedException($"DefenseKey is secret and cannot be serialized; record its Fingerprint ({value.Fingerprint}) instead.");
    }
}
