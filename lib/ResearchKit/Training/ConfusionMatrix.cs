using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>Confusion counts of a classifier: <c>Counts[trueClass, predictedClass]</c>, predictions = argmax of the logits (first maximum on ties).</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Creates an empty matrix for <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public ConfusionMatrix(int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "ConfusionMatrix: needs at least 1 class.");
        Classes = classes;
        _counts = new long[classes, classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Count of samples of class <paramref name="trueClass"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int trueClass, int predicted] => _counts[trueClass, predicted];

    /// <summary>Samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>Adds a batch: (N, C) logits and (N) Int64 labels.</summary>
    /// <exception cref="ArgumentException">Shapes or labels do not fit (see <see cref="Metrics.TopKCorrect"/>).</exception>
    public void Add(Tensor logits, Tensor labels)
    {
        Metrics.Check(logits, labels, "ConfusionMatrix.Add");
        if (logits.Size(1) != Classes)
            throw new ArgumentException($"ConfusionMatrix.Add: logits have {logits.Size(1)} classes (shape {logits.Shape}) but the matrix was created for {Classes}.");
        var pred = Metrics.Predictions(logits);
        var y = labels.Contiguous().AsInt64Span();
        for (int i = 0; i < pred.Length; i++) _counts[y[i], pred[i]]++;
        Total += pred.Length;
    }

    /// <summary>Fraction on the diagonal (NaN when empty).</summary>
    public double Accuracy
    {
        get
        {
            long d = 0;
            for (int c = 0; c < Classes; c++) d += _counts[c, c];
            return Total > 0 ? (double)d / Total : double.NaN;
        }
    }

    /// <summary>Recall of class <paramref name="c"/>: correct / samples of that class (NaN when it has none).</summary>
    public double Recall(int c)
    {
        long row = 0;
        for (int j = 0; j < Classes; j++) row += _counts[c, j];
        return row > 0 ? (double)_counts[c, c] / row : double.NaN;
    }

    /// <summary>Precision of class <paramref name="c"/>: correct / predictions of that class (NaN when never predicted).</summary>
    public double Precision(int c)
    {
        long col = 0;
        for (int i = 0; i < Classes; i++) col += _counts[i, c];
        return col > 0 ? (double)_counts[c, c] / col : double.NaN;
    }
}
