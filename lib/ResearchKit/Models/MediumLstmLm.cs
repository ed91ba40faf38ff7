using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The "Medium" LSTM language model with tied word vectors and word classifier (Inan, Khosravi &amp; Socher,
/// "Tying Word Vectors and Word Classifiers", arXiv:1611.01462), as used in the thesis' Chapter 4 on WikiText-2:
/// embedding 650, two LSTM layers of 650, dropout 0.4 on the embedding output and on each LSTM layer's output,
/// and a decoder whose weight <b>is</b> the embedding matrix, plus its own bias.
/// </summary>
/// <remarks>
/// Structure and names follow PyTorch's <c>examples/word_language_model</c> <c>RNNModel</c> with <c>--tied</c>:
/// <c>drop</c> (no parameters), <c>encoder.weight</c> [V, E], <c>rnn.weight_ih_l0</c> … <c>rnn.bias_hh_l1</c>,
/// <c>decoder.weight</c> (the same tensor as <c>encoder.weight</c>), <c>decoder.bias</c> [V]. Dropout is applied to the
/// embedding output, between the LSTM layers (the LSTM's own inter-layer dropout) and to the last layer's output.
/// The state dict holds both <c>encoder.weight</c> and <c>decoder.weight</c> like PyTorch's; <see cref="Module.Parameters"/>
/// lists the shared tensor once. Init as <c>init_weights</c>: encoder (= decoder) weight U(−0.1, 0.1), decoder bias 0,
/// LSTM PyTorch's default U(±1/√hidden). Tying needs <c>embedDim == hidden</c>.
/// <para>Shapes: tokens (T, B) Int64 (sequence-first, as <see cref="Data.LmBatcher"/> produces) and a hidden state
/// (h, c) each (layers, B, hidden) → logits (T, B, V) and the new hidden state. Between BPTT windows, cut the graph
/// with <see cref="Detach"/> (<c>repackage_hidden</c>).</para>
/// <para>The children are read from the registry in <c>Forward</c>, so <see cref="Module.Replace(string, Module)"/> takes
/// effect; a replacement must be of the child's type (the decoder must stay a <see cref="TiedLinear"/>, e.g. a subclass
/// that fake-quantizes the shared weight, so the tie is kept).</para>
/// </remarks>
public sealed class MediumLstmLm : Module<Tensor, Tensor>
{
    /// <summary>Embedding and hidden width of the thesis' medium model.</summary>
    public const int MediumWidth = 650;

    /// <summary>Number of LSTM layers of the medium model.</summary>
    public const int MediumLayers = 2;

    /// <summary>Dropout of the medium model in the thesis.</summary>
    public const double MediumDropout = 0.4;

    /// <summary>Range of the uniform initialization of the word vectors (word_language_model's <c>initrange</c>).</summary>
    public const float InitRange = 0.1f;

    /// <summary>Builds the model.</summary>
    /// <param name="vocabSize">Vocabulary size V (33,278 for WikiText-2).</param>
    /// <param name="embedDim">Word-vector width (650).</param>
    /// <param name="hidden">LSTM width (650); must equal <paramref name="embedDim"/> for tying.</param>
    /// <param name="layers">LSTM layers (2).</param>
    /// <param name="dropout">Dropout probability on embeddings and layer outputs (0.4).</param>
    /// <param name="generator">Random source of the initialization (default: <see cref="Generator.Default"/>).</param>
    /// <param name="dropoutGenerator">Random source of the dropout masks (default: <paramref name="generator"/>); register it
    /// with the trainer (<c>TrainerOptions.Generators</c>) so a resumed run draws the same masks.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or dropout is outside [0, 1).</exception>
    /// <exception cref="ArgumentException"><paramref name="embedDim"/> differs from <paramref name="hidden"/> (weights cannot be tied).</exception>
    public MediumLstmLm(int vocabSize, int embedDim = MediumWidth, int hidden = MediumWidth, int layers = MediumLayers,
        double dropout = MediumDropout, Generator? generator = null, Generator? dropoutGenerator = null)
    {
        const string op = "MediumLstmLm";
        if (vocabSize < 1) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"{op}: vocabSize must be at least 1.");
        if (embedDim < 1) throw new ArgumentOutOfRangeException(nameof(embedDim), embedDim, $"{op}: embedDim must be at least 1.");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, $"{op}: hidden must be at least 1.");
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, $"{op}: layers must be at least 1.");
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{op}: dropout must be in [0, 1), got {dropout}.");
        if (embedDim != hidden)
            throw new ArgumentException($"{op}: tied weights need embedDim == hidden (the decoder reads the last LSTM layer's {hidden} features with the {embedDim}-wide embedding matrix), got embedDim={embedDim}, hidden={hidden}.", nameof(embedDim));
        VocabSize = vocabSize; EmbedDim = embedDim; Hidden = hidden; Layers = layers; DropoutP = dropout;
        _generator = generator;
        var dropGen = dropoutGenerator ?? generator;
        DropoutGenerator = dropGen;
        RegisterModule("drop", new Dropout((float)dropout, dropGen));
        var encoder = RegisterModule("encoder", new Embedding(vocabSize, embedDim, generator: generator));
        // The LSTM draws its inter-layer dropout masks from its generator: give it the dropout one, re-initialize from `generator` below.
        RegisterModule("rnn", new Lstm(embedDim, hidden, layers, dropout: dropout, generator: dropGen));
        RegisterModule("decoder", new TiedLinear(encoder.Weight));
        InitWeights(generator);
    }

    private readonly Generator? _generator;

    /// <summary>The generator of the dropout masks (null: <see cref="Generator.Default"/>); a trainer must capture its state for an exact resume.</summary>
    public Generator? DropoutGenerator { get; }

    /// <summary>Dropout on the embedding and on the last LSTM layer's output.</summary>
    public Dropout Drop => Child<Dropout>("drop");

    /// <summary>Word vectors (V, E).</summary>
    public Embedding Encoder => Child<Embedding>("encoder");

    /// <summary>The stacked LSTM (sequence-first), with dropout between layers.</summary>
    public Lstm Rnn => Child<Lstm>("rnn");

    /// <summary>The word classifier; its weight is <see cref="Encoder"/>'s.</summary>
    public TiedLinear Decoder => Child<TiedLinear>("decoder");

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; }

    /// <summary>Word-vector width.</summary>
    public int EmbedDim { get; }

    /// <summary>LSTM width.</summary>
    public int Hidden { get; }

    /// <summary>LSTM layers.</summary>
    public int Layers { get; }

    /// <summary>Dropout probability.</summary>
    public double DropoutP { get; }

    /// <summary>Re-draws the weights as word_language_model's <c>init_weights</c> (word vectors U(−0.1, 0.1), decoder bias 0)
    /// and the LSTM as PyTorch's default U(±1/√hidden), all from <paramref name="generator"/> (default: the constructor's).</summary>
    public void InitWeights(Generator? generator = null)
    {
        generator ??= _generator;
        float bound = 1f / MathF.Sqrt(Hidden);
        Init.Uniform_(Encoder.Weight, -InitRange, InitRange, generator);
        foreach (var p in Rnn.Parameters()) Init.Uniform_(p, -bound, bound, generator);
        if (Decoder.Bias is { } b) Init.Zeros_(b);
    }

    /// <summary>A zero hidden state (h, c), each (layers, <paramref name="batch"/>, hidden) (<c>init_hidden</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is below 1.</exception>
    public (Tensor H, Tensor C) InitHidden(int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "MediumLstmLm.InitHidden: batch must be at least 1.");
        return (Tensor.Zeros(Layers, batch, Hidden), Tensor.Zeros(Layers, batch, Hidden));
    }

    /// <summary>Cuts the autograd history of a hidden state (<c>repackage_hidden</c>), so backpropagation stops at the window start.</summary>
    public static (Tensor H, Tensor C) Detach((Tensor H, Tensor C) hidden) => (hidden.H.Detach(), hidden.C.Detach());

    /// <summary>Logits (T, B, V) of tokens (T, B) from a zero hidden state.</summary>
    /// <exception cref="ArgumentException">The tokens are not a (T, B) Int64 tensor.</exception>
    protected override Tensor ForwardCore(Tensor input) => Forward(input, null).Logits;

    /// <summary>Runs one window.</summary>
    /// <param name="tokens">Token ids (T, B) Int64 in [0, V).</param>
    /// <param name="hidden">Initial (h, c), each (layers, B, hidden), or null for zeros.</param>
    /// <returns>Logits (T, B, V) and the final (h, c) (still attached to the graph: <see cref="Detach"/> before the next window).</returns>
    /// <exception cref="ArgumentException">The tokens are not (T, B) Int64, or the hidden state does not fit.</exception>
    public (Tensor Logits, (Tensor H, Tensor C) Hidden) Forward(Tensor tokens, (Tensor H, Tensor C)? hidden)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Dim != 2 || tokens.DType != DType.Int64)
            throw new ArgumentException($"MediumLstmLm: expected sequence-first token ids (T, B) Int64, got shape {tokens.Shape} ({tokens.DType}); LmBatcher windows have this layout.", nameof(tokens));
        var emb = Drop.Forward(Encoder.Forward(tokens));
        var (output, h, c) = Rnn.Forward(emb, hidden);
        var logits = Decoder.Forward(Drop.Forward(output));
        return (logits, (h, c));
    }
}
