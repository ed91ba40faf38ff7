using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using ResearchKit.Tensors;

namespace ResearchKit.Defenses;

/// <summary>
/// The model selection of the Ensemble Hash Defense (thesis §6.4.3, Fig. 6.3; PROTOCOLS §3.2): for each input,
/// <c>route = popcount(HMAC-SHA256(key, bytes(input))) mod k</c>, the index of the one member that answers it.
/// </summary>
/// <remarks>
/// <para>Bytes: <see cref="EhdInputBytes"/> under <see cref="Encoding"/>, one input (one row of the batch) at a time.
/// The thesis salts "e.g. SHA-256" with a secret defender value without saying how; HMAC is the standard keyed
/// construction (no length-extension, key and message cannot be confused). The popcount of the 256-bit digest, not the
/// digest itself, is taken mod k, as printed (§6.4.3, PROTOCOLS §10.8).</para>
/// <para>Properties: deterministic (an input always goes to the same member, alone or in any batch), one hash per
/// input, and a one-byte change re-draws the route (the avalanche effect), so it lands on another member with
/// probability 1 − Σ_r p_r² ≈ (k−1)/k.</para>
/// <para>Evenness: the popcount of a uniform digest is Binomial(256, ½), so the routes are not exactly uniform;
/// <see cref="RouteProbabilities"/> gives the exact law. For k ≤ 10 every p_r is within 10⁻⁵ of 1/k; the spread grows
/// with k (about ±1.4 % relative at k = 16, ±60 % at k = 32) because the popcount (mean 128, standard deviation 8)
/// spans only a few periods of mod k.</para>
/// <para>Defender-side: it holds the key. Attackers get <see cref="EnsembleHashDefense.AsOracle"/>, which hides it.</para>
/// </remarks>
public sealed class EhdRouter
{
    /// <summary>The hash, as recorded in configs.</summary>
    public const string HashName = "HMAC-SHA256";

    /// <summary>Digest bits whose popcount is taken mod k.</summary>
    public const int DigestBits = 256;

    private readonly DefenseKey _key;

    /// <summary>Creates the selection for <paramref name="k"/> members.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 2 or &gt; 257 (the popcount takes only 257 values), or an unknown encoding.</exception>
    public EhdRouter(DefenseKey key, int k, EhdInputEncoding encoding = EhdInputEncoding.Uint8)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (k < 2 || k > DigestBits + 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"EHD: k = {k} members; the defense needs k ≥ 2 (one model is no ensemble) and popcount mod k needs k ≤ {DigestBits + 1}.");
        if (!Enum.IsDefined(encoding)) throw EhdInputBytes.UnknownEncoding(encoding);
        _key = key;
        K = k;
        Encoding = encoding;
    }

    /// <summary>Number of members k.</summary>
    public int K { get; }

    /// <summary>How an input becomes the hashed bytes.</summary>
    public EhdInputEncoding Encoding { get; }

    /// <summary>The key's public <see cref="DefenseKey.Fingerprint"/>.</summary>
    public string KeyFingerprint => _key.Fingerprint;

    /// <summary>The member index of one input given as its values in row-major order.</summary>
    /// <exception cref="ArgumentException">NaN under uint8 encoding.</exception>
    public int Route(ReadOnlySpan<float> input)
    {
        int n = EhdInputBytes.ByteCount(input.Length, Encoding);
        var rented = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            var bytes = rented.AsSpan(0, n);
            EhdInputBytes.Write(input, Encoding, bytes);
            return RouteBytes(bytes);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>The member index of the bytes of one input (as written by <see cref="EhdInputBytes"/>).</summary>
    public int RouteBytes(ReadOnlySpan<byte> bytes)
    {
        Span<byte> digest = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key.Bytes, bytes, digest);
        int ones = 0;
        for (int i = 0; i < digest.Length; i += 8) ones += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(digest[i..]));
        return ones % K;
    }

    /// <summary>The member index of every input of a batch (N, …): each row is hashed on its own.</summary>
    /// <exception cref="ArgumentException">Not Float32, no batch dimension, or NaN under uint8 (the input is named).</exception>
    public int[] Route(Tensor inputs)
    {
        CheckBatch(inputs);
        int n = inputs.Size(0);
        if (n == 0) return [];
        var values = inputs.ToArray();   // row-major copy of the logical layout
        int per = values.Length / n;
        var routes = new int[n];
        var rented = ArrayPool<byte>.Shared.Rent(EhdInputBytes.ByteCount(per, Encoding));
        try
        {
            var bytes = rented.AsSpan(0, EhdInputBytes.ByteCount(per, Encoding));
            for (int i = 0; i < n; i++)
            {
                var row = values.AsSpan(i * per, per);
                if (Encoding == EhdInputEncoding.Uint8 && HasNaN(row))
                    throw new ArgumentException($"EHD: input {i} of the batch holds NaN, which the uint8 encoding cannot hash; fix the input or use EhdInputEncoding.Float32.", nameof(inputs));
                EhdInputBytes.Write(row, Encoding, bytes);
                routes[i] = RouteBytes(bytes);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
        return routes;
    }

    /// <summary>
    /// The exact probability of each route r = 0..k−1 for a uniformly random digest: Σ_{j ≡ r (mod k)} C(256, j) / 2^256.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k outside 2..257.</exception>
    public static double[] RouteProbabilities(int k)
    {
        if (k < 2 || k > DigestBits + 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"EHD: k must be in 2..{DigestBits + 1}.");
        var counts = new BigInteger[k];
        var c = BigInteger.One;   // C(256, j), built up j by j
        for (int j = 0; j <= DigestBits; j++)
        {
            counts[j % k] += c;
            c = c * (DigestBits - j) / (j + 1);
        }
        var total = BigInteger.Pow(2, DigestBits);
        var p = new double[k];
        for (int r = 0; r < k; r++) p[r] = (double)(counts[r] * BigInteger.Pow(10, 30) / total) * 1e-30;
        return p;
    }

    /// <summary>Settings only; the key appears as its fingerprint.</summary>
    public override string ToString() => $"EhdRouter(k={K}, encoding={Encoding}, hash={HashName}, select=popcount mod k, key={KeyFingerprint})";

    internal static void CheckBatch(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.DType != DType.Float32)
            throw new ArgumentException($"EHD: inputs must be Float32 values in [0, 1], got {inputs.DType}; convert with .Float() (and divide 8-bit images by 255).", nameof(inputs));
        if (inputs.Dim < 2)
            throw new ArgumentException($"EHD: inputs must be a batch (N, …) with one input per row, got shape {inputs.Shape}; for a single input use x.Unsqueeze(0).", nameof(inputs));
    }

    private static bool HasNaN(ReadOnlySpan<float> row)
    {
        foreach (var v in row) if (float.IsNaN(v)) return true;
        return false;
    }
}
