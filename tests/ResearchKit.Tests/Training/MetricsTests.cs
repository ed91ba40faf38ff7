using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Training;

public class MetricsTests
{
    private static readonly float[,] Hand =
    {
        { 0.1f, 0.5f, 0.3f, 0.9f, 0.2f, 0.0f }, // label 3: rank 0
        { 0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f }, // label 4: rank 4 → top-5 only
        { 0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f }, // label 5: rank 5 → neither
        { 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f }, // label 1: tied with class 0, which ranks first → top-5 only
        { 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f }, // label 0: first maximum → top-1
    };
    private static readonly long[] HandLabels = [3, 4, 5, 1, 0];

    [Fact]
    public void TopK_OnHandMadeLogits()
    {
        var logits = Tensor.FromArray(Hand);
        var labels = Tensor.FromArray(HandLabels, 5);
        Assert.Equal(2, Metrics.TopKCorrect(logits, labels, 1));
        Assert.Equal(4, Metrics.TopKCorrect(logits, labels, 5));
        Assert.Equal(5, Metrics.TopKCorrect(logits, labels, 6));
        Assert.Equal(0.4, Metrics.Accuracy(logits, labels));
        Assert.Equal(0.8, Metrics.TopKAccuracy(logits, labels, 5));
        Assert.Equal(new[] { 3, 0, 0, 0, 0 }, Metrics.Predictions(logits));
    }

    [Fact]
    public void TopK_MatchesStableSortReference()
    {
        var rnd = new Random(42);
        const int n = 200, c = 9;
        var x = new float[n * c];
        for (int i = 0; i < x.Length; i++) x[i] = rnd.Next(0, 6) * 0.5f; // coarse values: many ties
        var y = new long[n];
        for (int i = 0; i < n; i++) y[i] = rnd.Next(c);
        var logits = Tensor.FromArray(x, n, c);
        var labels = Tensor.FromArray(y, n);
        for (int k = 1; k <= c; k++)
        {
            long reference = 0;
            for (int i = 0; i < n; i++)
            {
                var order = Enumerable.Range(0, c).OrderByDescending(j => x[i * c + j]).ToList(); // stable
                if (order.IndexOf((int)y[i]) < k) reference++;
            }
            Assert.Equal(reference, Metrics.TopKCorrect(logits, labels, k));
        }
    }

    [Fact]
    public void Perplexity_OfUniformLogits_IsVocabularySize()
    {
        const int t = 7, b = 3, v = 37;
        var rnd = new Random(3);
        var targets = Tensor.FromArray(Enumerable.Range(0, t * b).Select(_ => (long)rnd.Next(v)).ToArray(), t, b);
        double ppl = Metrics.Perplexity(Tensor.Zeros(t, b, v), targets);
        Assert.Equal(v, ppl, 3);
        Assert.Equal(Math.E, Metrics.Perplexity(1.0));

        // Over several batches: token-weighted mean NLL.
        var mean = new RunningMean();
        mean.AddSum(2.0 * 10, 10);
        mean.AddSum(4.0 * 30, 30);
        Assert.Equal(Math.Exp(3.5), Metrics.Perplexity(mean.Mean), 12);
        Assert.Throws<ArgumentException>(() => Metrics.Perplexity(Tensor.Zeros(t, v), targets));
    }

    [Fact]
    public void ConfusionMatrix_CountsArgmaxAgainstLabels()
    {
        var cm = new ConfusionMatrix(6);
        cm.Add(Tensor.FromArray(Hand), Tensor.FromArray(HandLabels, 5));
        Assert.Equal(5, cm.Total);
        Assert.Equal(1, cm[3, 3]);
        Assert.Equal(1, cm[4, 0]);
        Assert.Equal(1, cm[5, 0]);
        Assert.Equal(1, cm[1, 0]);
        Assert.Equal(1, cm[0, 0]);
        Assert.Equal(0.4, cm.Accuracy);
        Assert.Equal(1.0, cm.Recall(0));
        Assert.Equal(0.25, cm.Precision(0));
        Assert.True(double.IsNaN(cm.Recall(2)));
        Assert.Throws<ArgumentException>(() => cm.Add(Tensor.Zeros(2, 5), Tensor.FromArray(new long[] { 0, 1 }, 2)));
    }

    [Fact]
    public void Evaluate_ReturnsMeanLossAccuracyTop5_InEvalMode()
    {
        var rnd = new Random(5);
        const int c = 8;
        var batches = new List<(Tensor X, Tensor Y)>();
        for (int b = 0; b < 3; b++)
        {
            int n = 10 + b * 7; // unequal batch sizes: the mean must be per sample
            var x = Enumerable.Range(0, n * c).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
            var y = Enumerable.Range(0, n).Select(_ => (long)rnd.Next(c)).ToArray();
            batches.Add((Tensor.FromArray(x, n, c), Tensor.FromArray(y, n)));
        }
        // Dropout(0.9) would scramble logits in train mode; Evaluate must switch to eval mode and back.
        var model = new Sequential(new Dropout(0.9f, new Generator(1)), new Identity());
        var m = Metrics.Evaluate(model, batches);
        Assert.True(model.Training);

        double lossSum = 0, top1 = 0, top5 = 0, count = 0;
        foreach (var (x, y) in batches)
        {
            lossSum += F.CrossEntropy(x, y, reduction: "sum").Item();
            top1 += Metrics.TopKCorrect(x, y, 1);
            top5 += Metrics.TopKCorrect(x, y, 5);
            count += x.Size(0);
        }
        Assert.Equal(lossSum / count, m["loss"], 12);
        Assert.Equal(top1 / count, m["accuracy"], 12);
        Assert.Equal(top5 / count, m["top5"], 12);

        var cm = new ConfusionMatrix(c);
        Metrics.Evaluate(model, batches, confusion: cm);
        Assert.Equal((long)count, cm.Total);
        Assert.Equal(m["accuracy"], cm.Accuracy, 12);
    }

    [Fact]
    public void Errors_NameTheProblem()
    {
        var logits = Tensor.Zeros(3, 4);
        Assert.Contains("label 4 is outside [0, 4)", Assert.Throws<ArgumentException>(() => Metrics.TopKCorrect(logits, Tensor.FromArray(new long[] { 0, 1, 4 }, 3), 1)).Message);
        Assert.Contains("(N) Int64 labels", Assert.Throws<ArgumentException>(() => Metrics.Accuracy(logits, Tensor.FromArray(new long[] { 0, 1 }, 2))).Message);
        Assert.Contains("(N) Int64 labels", Assert.Throws<ArgumentException>(() => Metrics.Accuracy(logits, Tensor.Zeros(3))).Message);
        Assert.Contains("(N, C) Float32 logits", Assert.Throws<ArgumentException>(() => Metrics.Accuracy(Tensor.Zeros(3, 4, 2), Tensor.FromArray(new long[] { 0, 1, 2 }, 3))).Message);
        Assert.Contains("k must be at least 1", Assert.Throws<ArgumentException>(() => Metrics.TopKCorrect(logits, Tensor.FromArray(new long[] { 0, 1, 2 }, 3), 0)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Metrics.Evaluate(new Identity(), [])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunningMean().Add(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(0));
    }

    [Fact]
    public void RunningMean_IsWeighted()
    {
        var m = new RunningMean();
        Assert.True(double.IsNaN(m.Mean));
        m.Add(1.0, 3);
        m.Add(5.0);
        Assert.Equal(2.0, m.Mean);
        Assert.Equal(4, m.Weight);
        m.Reset();
        Assert.Equal(0, m.Weight);
    }
}
