namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Lookup table of <see cref="NumEmbeddings"/> vectors (<c>nn.Embedding</c>).
/// Shape: Int64 indices <c>(*)</c> → <c>(*, embedding_dim)</c>; weight <c>(num_embeddings, embedding_dim)</c>.
/// Init: N(0, 1), with the padding_idx row zeroed; that row never receives gradient.
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Number of rows.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Row excluded from gradient updates (normalized to be non-negative), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table (num_embeddings, embedding_dim).</summary>
    public Tensor Weight { get; }

    /// <summary>Creates the table; a negative <paramref name="paddingIdx"/> counts from the end, as in PyTorch.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes or padding_idx out of range.</exception>
    /// <param name="numEmbeddings">Size of the dictionary.</param>
    /// <param name="embeddingDim">Size of each embedding vector.</param>
    /// <param name="paddingIdx">Row that stays zero and gets no gradient.</param>
    /// <param name="generator">Random source for the initialization (default: <see cref="Generator.Default"/>).</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: num_embeddings and embedding_dim must be positive, got {numEmbeddings} and {embeddingDim}.");
        NumEmbeddings = numEmbeddings; EmbeddingDim = embeddingDim;
        if (paddingIdx is not null) PaddingIdx = Functional.NormalizePaddingIdx("Embedding", paddingIdx, numEmbeddings);
        Weight = RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
        ResetParameters(generator);
    }

    /// <summary>Draws N(0, 1) and zeroes the padding row.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal_(Weight, 0f, 1f, generator);
        if (PaddingIdx is { } p)
            using (Torch.NoGrad()) Weight.Select(0, p).Zero_();
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is { } p ? $", padding_idx={p}" : "");
}
