using ResearchKit.Attacks;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks;

/// <summary>SPSA as Appendix B: the estimator, the query points, the query count, snapshots and determinism.</summary>
public class SpsaTests
{
    private const int D = 40;

    /// <summary>f(x) = Σ_k a_k sin(b_k x_k) + 0.1 (Σ_k x_k)², one value per row.</summary>
    private static (Func<Tensor, Tensor> F, Func<float[], float[]> Grad) Smooth()
    {
        var g = new Generator(5);
        var a = Tensor.Uniform([D], 0.5f, 2f, g); var b = Tensor.Uniform([D], 0.5f, 3f, g);
        float[] av = a.ToArray(), bv = b.ToArray();
        Tensor F(Tensor rows)
        {
            var r = rows.Reshape(rows.Size(0), D);
            var s = r.Sum(1);
            return ((r * b).Sin() * a).Sum(1) + s * s * 0.1f;
        }
        float[] Grad(float[] x)
        {
            float s = x.Sum();
            return Enumerable.Range(0, D).Select(k => av[k] * bv[k] * MathF.Cos(bv[k] * x[k]) + 0.2f * s).ToArray();
        }
        return (F, Grad);
    }

    [Fact]
    public void Margins_AreEquationB1_RowByRow()
    {
        var scores = Tensor.FromArray([3f, 1f, 2f, /* correct, top2 = 2 */ 0f, 5f, 4f, /* wrong: 0 */ 1f, 1f, 0.5f, /* tie at the top */ -1f, -3f, -2f], 4, 3);
        var labels = Tensor.FromArray(new long[] { 0, 0, 1, 0 }, 4);
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, Spsa.Margins(scores, labels).ToArray());
        // Targeted towards class 2: max_{j≠2} s_j − s_2 until class 2 is predicted.
        Assert.Equal(new[] { 1f, 1f, 0.5f, 1f }, Spsa.Margins(scores, Tensor.FromArray(new long[] { 2, 2, 2, 2 }, 4), targeted: true).ToArray());
        Assert.Throws<ArgumentException>(() => Spsa.Margins(scores, Tensor.FromArray(new long[] { 0, 3, 0, 0 }, 4)));
        Assert.Throws<ArgumentException>(() => Spsa.Margins(scores, Tensor.FromArray(new long[] { 0, 0 }, 2)));
    }

    [Fact]
    public void Estimator_ConvergesToTheTrueGradient_ErrorShrinksLikeOneOverSqrtN()
    {
        var (f, grad) = Smooth();
        var x = Tensor.Uniform([4, D], -1f, 1f, new Generator(6));
        var truth = Enumerable.Range(0, 4).Select(i => grad(x.Select(0, i).ToArray())).ToArray();
        (double Cos, double Err) Score(int n)
        {
            var est = Spsa.EstimateGradient(f, x, n, delta: 0.01f, seed: 1).ToArray();
            double dot = 0, ne = 0, nt = 0, err = 0;
            for (int i = 0; i < 4; i++)
                for (int k = 0; k < D; k++)
                {
                    double e = est[i * D + k], t = truth[i][k];
                    dot += e * t; ne += e * e; nt += t * t; err += (e - t) * (e - t);
                }
            return (dot / Math.Sqrt(ne * nt), Math.Sqrt(err / nt));
        }
        var s16 = Score(16); var s256 = Score(256); var s4096 = Score(4096);
        Assert.True(s16.Cos < s256.Cos && s256.Cos < s4096.Cos, $"cosine not increasing: {s16.Cos}, {s256.Cos}, {s4096.Cos}");
        Assert.True(s4096.Cos > 0.98, $"cosine at n = 4096 is {s4096.Cos}");
        // Rademacher SPSA: relative error ≈ √(D/n), so 16× the samples divides it by about 4.
        Assert.InRange(s4096.Err / s256.Err, 0.15, 0.45);
        Assert.InRange(s256.Err / s16.Err, 0.15, 0.45);
    }

    [Fact]
    public void Estimator_DoesNotDependOnTheChunking()
    {
        var (f, _) = Smooth();
        var x = Tensor.Uniform([3, D], -1f, 1f, new Generator(7));
        var a = Spsa.EstimateGradient(f, x, 50, seed: 2, maxBatch: 4096);
        var b = Spsa.EstimateGradient(f, x, 50, seed: 2, maxBatch: 7);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void Queries_AreAtXPlusMinusDeltaV_CountedAs2NItersInputs_InBoundedCalls()
    {
        var model = SmallCnn(seed: 9);
        var (x, _) = Batch(2, 110);
        var y = Predictions(model, x); // correctly classified: the margin loss is not 0, so the iterate moves
        var oracle = new RecordingOracle(q => new ModelOracle(model).Scores(q));
        var spsa = new Spsa(oracle, new ThreatModel(AttackNorm.LInf, 0.05f), samples: 3, iterations: 3, maxBatch: 4, learningRate: 0.02);
        var snaps = spsa.PerturbAt(x, y, [1, 2, 3]);
        Assert.Equal(2L * 3 * 3 * 2, spsa.Queries);
        Assert.Equal(spsa.Queries, oracle.Queries);
        Assert.All(oracle.Calls, c => Assert.True(c.Size(0) <= 4));
        var rows = Tensor.Cat(oracle.Calls).Reshape(3, 2, 3, 2, -1); // (iteration, input, sample, ±, D)
        for (int t = 0; t < 3; t++)
        {
            var center = t == 0 ? x : snaps[t - 1];
            Assert.True(t == 0 || MaxAbsDiff(center, x) > 0, "the attack did not move");
            for (int i = 0; i < 2; i++)
            {
                var c = center.Select(0, i).Reshape(-1).ToArray();
                for (int k = 0; k < 3; k++)
                {
                    var plus = rows.Select(0, t).Select(0, i).Select(0, k).Select(0, 0).ToArray();
                    var minus = rows.Select(0, t).Select(0, i).Select(0, k).Select(0, 1).ToArray();
                    for (int p = 0; p < c.Length; p++)
                    {
                        float up = plus[p] - c[p], down = minus[p] - c[p];
                        Assert.True(Math.Abs(Math.Abs(up) - 0.01f) < 1e-6f, $"iteration {t + 1}, input {i}, sample {k}: x+δv − x = {up}, not ±0.01");
                        Assert.True(Math.Abs(up + down) < 1e-6f, $"iteration {t + 1}: x−δv is not the mirror of x+δv ({up} vs {down})");
                    }
                }
            }
        }
    }

    [Fact]
    public void PerturbAt_EqualsSeparateShorterRuns_AndIsDeterministic_WhateverTheChunking()
    {
        var model = SmallCnn(seed: 10);
        var (x, _) = Batch(3, 120);
        var y = Predictions(model, x);
        var threat = new ThreatModel(AttackNorm.LInf, 0.05f);
        Spsa Make(int iters, int maxBatch = 4096, long seed = 3) => new(new ModelOracle(model), threat, samples: 8, iterations: iters, maxBatch: maxBatch, seed: seed, learningRate: 0.02);
        var snaps = Make(6).PerturbAt(x, y, [2, 6]);
        Assert.Equal(snaps[0].ToArray(), Make(2).Perturb(x, y).ToArray());
        Assert.Equal(snaps[1].ToArray(), Make(6).Perturb(x, y).ToArray());
        Assert.Equal(snaps[1].ToArray(), Make(6, maxBatch: 5).Perturb(x, y).ToArray());
        Assert.NotEqual(snaps[1].ToArray(), Make(6, seed: 4).Perturb(x, y).ToArray());
        // Each input's stream is its own: attacking input 0 alone gives its row of the batch result.
        Assert.Equal(snaps[1].Select(0, 0).ToArray(), Make(6).Perturb(x.Narrow(0, 0, 1), y.Narrow(0, 0, 1)).ToArray());
    }

    [Fact]
    public void LowersAccuracy_OfASmallCnn_AndRandomStartAndQueryClampAreHonoured()
    {
        var model = SmallCnn(seed: 11);
        var (x, _) = Batch(8, 130);
        var y = Predictions(model, x);
        var threat = new ThreatModel(AttackNorm.LInf, 0.1f);
        var adv = new Spsa(new ModelOracle(model), threat, samples: 64, iterations: 30).Perturb(x, y);
        InsideThreat(x, adv, threat, "SPSA");
        Assert.True(Accuracy(model, adv, y) < 1.0, "SPSA fooled none of 8 inputs of a random CNN");

        var clampOracle = new RecordingOracle(q => new ModelOracle(model).Scores(q));
        new Spsa(clampOracle, threat, samples: 4, iterations: 2, randomStart: true, clampQueries: true).Perturb(x, y);
        Assert.All(clampOracle.Calls, c => Assert.All(c.ToArray(), v => Assert.InRange(v, 0f, 1f)));
        var freeOracle = new RecordingOracle(q => new ModelOracle(model).Scores(q));
        new Spsa(freeOracle, threat, samples: 4, iterations: 2).Perturb(x, y);
        Assert.Contains(freeOracle.Calls.SelectMany(c => c.ToArray()), v => v < 0f || v > 1f); // default: queries may leave [0, 1] (cleverhans)
    }
}
