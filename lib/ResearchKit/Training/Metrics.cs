using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Training;

/// <summary>
/// Classification and language-model metrics: top-k accuracy from (N, C) logits and Int64 labels, mean loss,
/// perplexity, and <see cref="Evaluate"/> over a batch stream.
/// </summary>
/// <remarks>
/// Ranking follows a stable descending sort: a class ranks ahead of the label if its logit is larger, or equal with a
/// smaller index. So top-1 agrees with argmax (first maximum, as PyTorch), and ties never count twice.
/// </remarks>
public static class Metrics
{
    /// <summary>Number of samples whose label is among the <paramref name="k"/> highest logits.</summary>
    /// <param name="logits">(N, C) Float32 scores.</param>
    /// <param name="labels">(N) Int64 labels in [0, C).</param>
    /// <param name="k">k ≥ 1 (k ≥ C counts every sample).</param>
    /// <exception cref="ArgumentException">Shapes/dtypes do not fit, a label is out of range, or k &lt; 1.</exception>
    public static long TopKCorrect(Tensor logits, Tensor labels, int k)
    {
        const string op = "Metrics.TopKCorrect";
        if (k < 1) throw new ArgumentException($"{op}: k must be at least 1, got {k}.");
        Check(logits, labels, op);
        return TopKCorrectValid(logits, labels, k, out _);
    }

    /// <summary>Like <see cref="TopKCorrect"/> but skips samples whose label is outside [0, C) (e.g. an ignore index);
    /// <paramref name="counted"/> receives the samples scored. For the trainer's running accuracy.</summary>
    internal static long TopKCorrectValid(Tensor logits, Tensor labels, int k, out int counted)
    {
        logits = Host(logits); labels = Host(labels);
        int n = logits.Size(0), c = logits.Size(1);
        var x = logits.Contiguous().AsReadOnlySpan();
        var y = labels.Contiguous().AsInt64Span();
        long correct = 0;
        counted = 0;
        for (int i = 0; i < n; i++)
        {
            long label = y[i];
            if (label < 0 || label >= c) continue;
            counted++;
            var row = x.Slice(i * c, c);
            float v = row[(int)label];
            int ahead = 0;
            for (int j = 0; j < c && ahead < k; j++)
                if (row[j] > v || (row[j] == v && j < label)) ahead++;
            if (ahead < k) correct++;
        }
        return correct;
    }

    /// <summary>Top-1 accuracy of a batch (fraction in [0, 1]).</summary>
    /// <inheritdoc cref="TopKCorrect"/>
    public static double Accuracy(Tensor logits, Tensor labels) => TopKAccuracy(logits, labels, 1);

    /// <summary>Top-k accuracy of a batch (fraction in [0, 1]; NaN for an empty batch).</summary>
    /// <inheritdoc cref="TopKCorrect"/>
    public static double TopKAccuracy(Tensor logits, Tensor labels, int k)
    {
        long correct = TopKCorrect(logits, labels, k);
        int n = logits.Size(0);
        return n > 0 ? (double)correct / n : double.NaN;
    }

    /// <summary>Argmax per row of (N, C) logits (first maximum on ties, as PyTorch).</summary>
    /// <exception cref="ArgumentException">The logits are not a (N, C) Float32 tensor.</exception>
    public static int[] Predictions(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Dim != 2 || logits.DType != DType.Float32)
            throw new ArgumentException($"Metrics.Predictions: expected (N, C) Float32 logits, got shape {logits.Shape} ({logits.DType}).");
        int n = logits.Size(0), c = logits.Size(1);
        var x = Host(logits).Contiguous().AsReadOnlySpan();
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            var row = x.Slice(i * c, c);
            int best = 0;
            for (int j = 1; j < c; j++) if (row[j] > row[best]) best = j;
            r[i] = best;
        }
        return r;
    }

    /// <summary>Perplexity from the mean negative log-likelihood per token (natural log): <c>exp(meanNll)</c>.</summary>
    public static double Perplexity(double meanNll) => Math.Exp(meanNll);

    /// <summary>Perplexity of one batch: <c>exp(mean cross-entropy per token)</c> of (..., V) logits against (...) Int64 targets.
    /// Over many batches, accumulate the summed NLL and the token count in a <see cref="RunningMean"/> and call <see cref="Perplexity(double)"/>.</summary>
    /// <exception cref="ArgumentException">Shapes do not fit (logits must have one more dimension, of size V, than the targets).</exception>
    public static double Perplexity(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Dim != targets.Dim + 1)
            throw new ArgumentException($"Metrics.Perplexity: logits of shape {logits.Shape} need exactly one more dimension (the vocabulary) than the targets of shape {targets.Shape}.");
        int v = logits.Size(-1);
        using (Torch.NoGrad())
        {
            var nll = Functional.CrossEntropy(logits.Reshape(-1, v), targets.Reshape(-1), reduction: "sum").Item();
            return Math.Exp(nll / targets.Numel);
        }
    }

    /// <summary>
    /// Evaluates a classifier over <paramref name="batches"/> in eval mode under <see cref="Torch.NoGrad"/> (the previous
    /// mode is restored) and returns "loss" (mean per sample), "accuracy" (top-1) and "top5" (top-5; 1 when there are ≤ 5 classes).
    /// </summary>
    /// <param name="model">Model mapping inputs to (N, C) logits.</param>
    /// <param name="batches">(inputs, Int64 labels) batches, e.g. a test loader's epoch 0.</param>
    /// <param name="loss">Batch loss returning the <b>sum</b> over the batch; default cross-entropy with reduction "sum".</param>
    /// <param name="confusion">Optional confusion matrix to fill as well.</param>
    /// <exception cref="ArgumentException">The stream is empty, or a batch does not fit (see <see cref="TopKCorrect"/>).</exception>
    public static Dictionary<string, double> Evaluate(Module<Tensor, Tensor> model, IEnumerable<(Tensor X, Tensor Y)> batches,
        Func<Tensor, Tensor, Tensor>? loss = null, ConfusionMatrix? confusion = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        loss ??= static (o, y) => Functional.CrossEntropy(o, y, reduction: "sum");
        bool wasTraining = model.Training;
        var meter = new ClassificationMeter();
        model.Eval();
        try
        {
            var device = model.DeviceOf();
            using (Torch.NoGrad())
                foreach (var (xb, yb) in batches)
                {
                    // Batches come from the loader on the host; they go where the model is.
                    var (x, y) = (xb.To(device), yb.To(device));
                    var logits = model.Forward(x);
                    meter.Add(logits, y, loss(logits, y).Item());
                    confusion?.Add(logits, y);
                }
        }
        finally { model.Train(wasTraining); }
        if (meter.Samples == 0) throw new ArgumentException("Metrics.Evaluate: the batch stream was empty; pass the evaluation loader's batches (e.g. loader.Epoch(0)).");
        return meter.ToDictionary();
    }

    internal static void Check(Tensor logits, Tensor labels, string op)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Dim != 2 || logits.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected (N, C) Float32 logits, got shape {logits.Shape} ({logits.DType}); flatten sequence outputs to (N*T, C) first.");
        if (labels.Dim != 1 || labels.DType != DType.Int64 || labels.Size(0) != logits.Size(0))
            throw new ArgumentException($"{op}: expected (N) Int64 labels with N = {logits.Size(0)} to match logits {logits.Shape}, got shape {labels.Shape} ({labels.DType}); call .Long() on float labels.");
        int c = logits.Size(1);
        foreach (var l in Host(labels).Contiguous().AsInt64Span())
            if (l < 0 || l >= c) throw new ArgumentException($"{op}: label {l} is outside [0, {c}) for logits of shape {logits.Shape}.");
    }

    // Metrics are counted on the host: a device tensor is copied back once (small: logits and labels of one batch).
    private static Tensor Host(Tensor t) => t.Device.IsCpu ? t : t.Detach().Cpu();
}
