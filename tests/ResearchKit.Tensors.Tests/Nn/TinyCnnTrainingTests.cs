using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// End-to-end wiring check: a tiny CNN (Conv2d → ReLU → MaxPool2d → Conv2d → AdaptiveAvgPool2d → flatten → matmul)
/// trained with inline SGD must learn a task that needs the spatial structure of its kernels.
/// </summary>
public class TinyCnnTrainingTests
{
    /// <summary>
    /// 8×8 images with one bright line at a random position plus noise: class 0 = horizontal line, class 1 = vertical line.
    /// Intensity alone cannot separate the classes, and global pooling removes the position, so the conv kernels must learn
    /// oriented filters — a wrong forward or backward anywhere in the chain keeps accuracy near 50%.
    /// </summary>
    private static (Tensor X, int[] Labels) Lines(int count, int seed)
    {
        var rng = new Random(seed);
        var data = new float[count * 64];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % 2, pos = rng.Next(8);
            labels[i] = label;
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                {
                    bool on = label == 0 ? r == pos : c == pos;
                    data[i * 64 + r * 8 + c] = (on ? 1f : 0f) + 0.2f * (float)(rng.NextDouble() * 2 - 1);
                }
        }
        return (Tensor.FromArray(data, count, 1, 8, 8), labels);
    }

    [Fact]
    public void TinyCnn_LearnsLineOrientation_WithPlainSgd()
    {
        var gen = new Generator(2024);
        var conv1 = new Conv2d(1, 8, 3, padding: 1, generator: gen);
        var pool = new MaxPool2d(2);
        var conv2 = new Conv2d(8, 8, 3, padding: 1, generator: gen);
        var gap = new AdaptiveAvgPool2d(1);
        var head = Tensor.Uniform([8, 2], -0.35f, 0.35f, gen).RequiresGrad_();
        var parameters = conv1.Parameters().Concat(conv2.Parameters()).Append(head).ToArray();

        var (x, labels) = Lines(64, 7);
        // Squared error against ±1 targets on the two logits (no softmax needed).
        var targetData = new float[labels.Length * 2];
        for (int i = 0; i < labels.Length; i++)
        {
            targetData[i * 2 + labels[i]] = 1f;
            targetData[i * 2 + 1 - labels[i]] = -1f;
        }
        var target = Tensor.FromArray(targetData, labels.Length, 2);

        Tensor Logits(Tensor input)
        {
            var h = pool.Forward(conv1.Forward(input).Relu());
            var feat = gap.Forward(conv2.Forward(h)).Flatten(1);
            return feat.Matmul(head);
        }

        var sw = System.Diagnostics.Stopwatch.StartNew();
        float firstLoss = float.NaN, lastLoss = float.NaN;
        const float lr = 0.1f;
        int step;
        for (step = 0; step < 400; step++)
        {
            var loss = (Logits(x) - target).Square().Mean();
            if (step == 0) firstLoss = loss.Item();
            lastLoss = loss.Item();
            foreach (var p in parameters) p.Grad = null;
            loss.Backward();
            using (Torch.NoGrad())
                foreach (var p in parameters) p.Sub_(p.Grad!, lr);
            // Stop once the fit is clearly done (keeps the test fast on a loaded machine).
            if (step % 25 == 24 && lastLoss < 0.1f && Accuracy(Logits(x), labels) == 1.0) break;
        }
        sw.Stop();

        double acc = Accuracy(Logits(x), labels);
        Assert.True(acc > 0.95, $"training accuracy {acc:P1} after {step} steps (loss {firstLoss:G4} → {lastLoss:G4}, {sw.ElapsedMilliseconds} ms)");
        Assert.True(lastLoss < 0.5f * firstLoss, $"loss {firstLoss:G4} → {lastLoss:G4}");

        // Generalises to fresh samples of the same task (the task is easy; this guards against a degenerate fit).
        var (xTest, yTest) = Lines(64, 8);
        double testAcc;
        using (Torch.NoGrad()) testAcc = Accuracy(Logits(xTest), yTest);
        Assert.True(testAcc > 0.9, $"test accuracy {testAcc:P1}");
    }

    private static double Accuracy(Tensor logits, int[] labels)
    {
        var v = logits.ToArray();
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if ((v[i * 2 + 1] > v[i * 2] ? 1 : 0) == labels[i]) correct++;
        return (double)correct / labels.Length;
    }
}
