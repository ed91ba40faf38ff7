using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Language-model batching as PyTorch's word_language_model example: <c>batchify</c> trims the token stream to a
/// multiple of B and cuts it into B contiguous streams (stream b = tokens[b·L .. (b+1)·L), L = ⌊n/B⌋), laid out as an
/// (L, B) matrix whose column b is stream b; <c>get_batch</c> windows are rows i·T .. i·T + T − 1 with targets one row
/// later, the last window shorter (T' = L − 1 − i·T).
/// </summary>
public sealed class LmBatcher
{
    private readonly int[] _tokens;

    /// <summary>Batchifies <paramref name="tokens"/> into <paramref name="batchSize"/> streams with windows of <paramref name="bptt"/>.</summary>
    /// <exception cref="ArgumentException">Sizes below 1, or fewer than 2 tokens per stream.</exception>
    public LmBatcher(int[] tokens, int batchSize, int bptt)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "LmBatcher: batchSize must be at least 1.");
        if (bptt < 1) throw new ArgumentOutOfRangeException(nameof(bptt), bptt, "LmBatcher: bptt must be at least 1.");
        int len = tokens.Length / batchSize;
        if (len < 2)
            throw new ArgumentException($"LmBatcher: {tokens.Length} tokens in {batchSize} streams give {len} per stream; need at least 2 (an input and its target). Use a smaller batch size.");
        _tokens = tokens; BatchSize = batchSize; Bptt = bptt; StreamLength = len;
        BatchesPerEpoch = (len - 1 + bptt - 1) / bptt;
    }

    /// <summary>Number of streams B.</summary>
    public int BatchSize { get; }
    /// <summary>Window length T.</summary>
    public int Bptt { get; }
    /// <summary>Tokens per stream L = ⌊n/B⌋ (the tail n − B·L is dropped).</summary>
    public int StreamLength { get; }
    /// <summary>Windows per epoch, ⌈(L − 1)/T⌉.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The batchified data (L, B) Int64, like <c>batchify</c>'s result.</summary>
    public Tensor Data() => Rows(0, StreamLength);

    /// <summary>Window <paramref name="i"/>: rows i·T … of the data as inputs and the following rows as targets.</summary>
    /// <exception cref="ArgumentOutOfRangeException">i is outside [0, BatchesPerEpoch).</exception>
    public LmWindow Window(int i)
    {
        if ((uint)i >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"LmBatcher.Window: index must be in [0, {BatchesPerEpoch}).");
        int start = i * Bptt, len = Math.Min(Bptt, StreamLength - 1 - start);
        return new LmWindow(Rows(start, len), Rows(start + 1, len), i);
    }

    /// <summary>Windows <paramref name="start"/> … of one epoch, in order (resume with the next window index).</summary>
    public IEnumerable<LmWindow> Windows(int start = 0)
    {
        if (start < 0 || start > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"LmBatcher.Windows: start must be in [0, {BatchesPerEpoch}].");
        return Iterate(start);
    }

    private IEnumerable<LmWindow> Iterate(int start)
    {
        for (int i = start; i < BatchesPerEpoch; i++) yield return Window(i);
    }

    private Tensor Rows(int row, int count)
    {
        int b = BatchSize, l = StreamLength;
        var t = Tensor.ZerosInt64(count, b);
        var d = t.AsInt64Span();
        for (int s = 0; s < b; s++)
        {
            var stream = _tokens.AsSpan(s * l + row, count);
            for (int r = 0; r < count; r++) d[r * b + s] = stream[r];
        }
        return t;
    }

    /// <inheritdoc/>
    public override string ToString() => $"LmBatcher(streams={BatchSize}, bptt={Bptt}, stream_length={StreamLength}, windows={BatchesPerEpoch})";
}
