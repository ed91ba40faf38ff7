using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The thesis' sequential-MNIST classifier (Chapter 4): one LSTM layer reading one pixel per time step
/// (input 1, hidden 128) and a linear layer 128 → 10 on the hidden state of the <b>last</b> time step.
/// </summary>
/// <remarks>
/// Parameters, in PyTorch's names and order: <c>lstm.weight_ih_l0</c> [512, 1], <c>lstm.weight_hh_l0</c> [512, 128],
/// <c>lstm.bias_ih_l0</c> [512], <c>lstm.bias_hh_l0</c> [512], <c>fc.weight</c> [10, 128], <c>fc.bias</c> [10]:
/// 4·128·(1 + 128) + 2·4·128 + 128·10 + 10 = 67,850 in total (the thesis rounds to 68k). Initialization is PyTorch's
/// default (LSTM U(±1/√128), Linear kaiming-uniform). Input is batch-first (N, T, 1) for any T ≥ 1, so sub-sampled
/// sequences (<see cref="Data.SubsamplingSchedule"/>) go through the same model; output (N, 10) logits.
/// <para>The children are read from the registry in <c>Forward</c>, so <see cref="Module.Replace(string, Module)"/> takes
/// effect; the classifier comes from an optional <see cref="LayerFactory"/>.</para>
/// </remarks>
public sealed class SeqMnistLstm : Module<Tensor, Tensor>
{
    /// <summary>Features per time step in the thesis (one pixel).</summary>
    public const int InputSize = 1;

    private readonly int _numClasses;

    /// <summary>The recurrent layer, batch-first (<c>lstm</c>; a replacement must be an <see cref="Tensors.Nn.Lstm"/>).</summary>
    public Lstm Lstm => Child<Lstm>("lstm");

    /// <summary>The classifier on the last hidden state (<c>fc</c>; a <see cref="Linear"/> unless built or replaced otherwise).</summary>
    public Module<Tensor, Tensor> Fc => Child<Module<Tensor, Tensor>>("fc");

    /// <summary>Builds the model.</summary>
    /// <param name="hiddenSize">LSTM width (128 in the thesis).</param>
    /// <param name="numClasses">Number of classes (10).</param>
    /// <param name="generator">Random source of the initialization (default: <see cref="Generator.Default"/>).</param>
    /// <param name="pixelsPerStep">Pixels read per time step: 1 in the thesis; 28 reads a row per step (see <see cref="Data.SequentialMnist.ToSequences(Tensor, int)"/>).</param>
    /// <param name="layers">Creates the classifier (default: <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public SeqMnistLstm(int hiddenSize = 128, int numClasses = 10, Generator? generator = null, int pixelsPerStep = InputSize, LayerFactory? layers = null)
    {
        if (pixelsPerStep < 1) throw new ArgumentOutOfRangeException(nameof(pixelsPerStep), pixelsPerStep, "SeqMnistLstm: pixelsPerStep must be at least 1 (1 pixel per step in the thesis, 28 for rows).");
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "SeqMnistLstm: hiddenSize must be at least 1 (the thesis uses 128).");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "SeqMnistLstm: numClasses must be at least 1 (10 for MNIST).");
        _numClasses = numClasses;
        RegisterModule("lstm", new Lstm(pixelsPerStep, hiddenSize, batchFirst: true, generator: generator));
        RegisterModule("fc", (layers ?? LayerFactory.Default).Linear(hiddenSize, numClasses, generator: generator));
    }

    /// <summary>LSTM width.</summary>
    public int HiddenSize => Lstm.HiddenSize;

    /// <summary>Pixels per time step (the LSTM's input size).</summary>
    public int PixelsPerStep => Lstm.InputSize;

    /// <summary>Number of output classes.</summary>
    public int NumClasses => _numClasses;

    /// <summary>Logits (N, classes) of (N, T, k) pixel sequences (k = <see cref="PixelsPerStep"/>), from the hidden state after the last step.</summary>
    /// <exception cref="ArgumentException">The input is not (N, T, k).</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 3 || input.Size(2) != PixelsPerStep)
            throw new ArgumentException($"SeqMnistLstm: expected batch-first pixel sequences (N, T, {PixelsPerStep}), got shape {input.Shape}; " +
                $"turn (N, 1, 28, 28) images into sequences with SequentialMnist.ToSequences(images, {PixelsPerStep}).", nameof(input));
        // h_n of a 1-layer unidirectional LSTM is the output at the last step: (1, N, H) → (N, H), no slicing of the output needed.
        var (_, hN, _) = Lstm.Forward(input);
        return Fc.Forward(hN.Squeeze(0));
    }
}
