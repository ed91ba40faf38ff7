using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Batch normalization over (N, C, S) tensors (S = H·W, or 1 for BatchNorm1d) on a <see cref="GpuDevice"/>, with PyTorch's
/// semantics: training uses the biased batch variance and updates the running mean and the running <b>unbiased</b> variance by
/// momentum; evaluation uses the running statistics. One thread block per channel reduces its N·S values
/// (<see cref="GpuDevice.ReductionThreads"/> threads).
/// </summary>
public static class GpuBatchNorm
{

    internal readonly record struct Args(int N, int C, int S, float Momentum, float Eps, int HasAffine);

    /// <summary>
    /// Training forward: y = (x − μ_B)·γ/√(σ²_B + ε) + β; saves μ_B and 1/√(σ²_B + ε) per channel for the backward, and updates the
    /// running statistics (running ← (1 − momentum)·running + momentum·batch, with the unbiased variance).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values per channel, or a view too short.</exception>
    public static void ForwardTrain(GpuDevice device, ArrayView<float> x, int n, int c, int s, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, float momentum, float eps, ArrayView<float> y, ArrayView<float> saveMean, ArrayView<float> saveInvStd)
    {
        Check(device, nameof(ForwardTrain), x.Length, y.Length, n, c, s, gamma, beta);
        if ((long)n * s < 2) throw new ArgumentException($"GpuBatchNorm.ForwardTrain: {n * s} value(s) per channel; training needs more than one (use eval mode).");
        if (runningMean.Length < c || runningVar.Length < c || saveMean.Length < c || saveInvStd.Length < c)
            throw new ArgumentException($"GpuBatchNorm.ForwardTrain: the running and saved statistics need {c} elements each.");
        var k = device.Kernel("bn-train", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(TrainKernel));
        k(device.ReductionConfig(c), x, gamma.Length == 0 ? x : gamma, beta.Length == 0 ? x : beta, runningMean, runningVar, y, saveMean, saveInvStd,
            new Args(n, c, s, momentum, eps, gamma.Length == 0 ? 0 : 1));
    }

    /// <summary>Evaluation forward: y = (x − running mean)·γ/√(running var + ε) + β.</summary>
    /// <exception cref="ArgumentException">A view is too short.</exception>
    public static void ForwardEval(GpuDevice device, ArrayView<float> x, int n, int c, int s, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, float eps, ArrayView<float> y)
    {
        Check(device, nameof(ForwardEval), x.Length, y.Length, n, c, s, gamma, beta);
        if (runningMean.Length < c || runningVar.Length < c) throw new ArgumentException($"GpuBatchNorm.ForwardEval: the running statistics need {c} elements each.");
        if ((long)n * c * s == 0) return;
        var k = device.Kernel("bn-eval", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(EvalKernel));
        k(n * c * s, x, gamma.Length == 0 ? x : gamma, beta.Length == 0 ? x : beta, runningMean, runningVar, y, new Args(n, c, s, 0f, eps, gamma.Length == 0 ? 0 : 1));
    }

    /// <summary>
    /// Training backward from the saved μ_B and 1/σ_B: gx = γ/σ_B·(gy − mean(gy) − x̂·mean(gy·x̂)), gγ = Σ gy·x̂, gβ = Σ gy (per
    /// channel; the affine gradients are written only when their views are not empty).
    /// </summary>
    /// <exception cref="ArgumentException">A view is too short.</exception>
    public static void BackwardTrain(GpuDevice device, ArrayView<float> x, ArrayView<float> gy, int n, int c, int s, ArrayView<float> gamma,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd, ArrayView<float> gx, ArrayView<float> gradGamma, ArrayView<float> gradBeta)
    {
        Check(device, nameof(BackwardTrain), x.Length, gx.Length, n, c, s, gamma, default);
        if (gy.Length < (long)n * c * s || saveMean.Length < c || saveInvStd.Length < c)
            throw new ArgumentException("GpuBatchNorm.BackwardTrain: the output gradient or the saved statistics are too short.");
        var k = device.Kernel("bn-bwd", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args, int>(BackwardKernel));
        int flags = (gradGamma.Length >= c ? 1 : 0) | (gradBeta.Length >= c ? 2 : 0);
        k(device.ReductionConfig(c), x, gy, gamma.Length == 0 ? x : gamma, saveMean, saveInvStd, gx,
            gradGamma.Length >= c ? gradGamma : gx, gradBeta.Length >= c ? gradBeta : gx, new Args(n, c, s, 0f, 0f, gamma.Length == 0 ? 0 : 1), flags);
    }

    private static void Check(GpuDevice device, string op, long xLength, long yLength, int n, int c, int s, ArrayView<float> gamma, ArrayView<float> beta)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (n < 0 || c < 1 || s < 1) throw new ArgumentException($"GpuBatchNorm.{op}: shape ({n}, {c}, {s}) is not (N, C ≥ 1, S ≥ 1).");
        long len = (long)n * c * s;
        if (xLength < len || yLength < len) throw new ArgumentException($"GpuBatchNorm.{op}: views of {xLength} and {yLength} elements for {len}.");
        if ((gamma.Length != 0 && gamma.Length < c) || (beta.Length != 0 && beta.Length < c))
            throw new ArgumentException($"GpuBatchNorm.{op}: γ and β need {c} elements (or none for no affine part).");
    }

    private static float BlockSum(float v, ArrayView<float> shared)
    {
        int t = Group.IdxX;
        shared[t] = v;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step >>= 1)
        {
            if (t < step) shared[t] += shared[t + step];
            Group.Barrier();
        }
        float total = shared[0];
        Group.Barrier();
        return total;
    }

    private static long At(int i, int ch, Args p) => ((long)(i / p.S) * p.C + ch) * p.S + i % p.S;

    private static void TrainKernel(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVar, ArrayView<float> y, ArrayView<float> saveMean, ArrayView<float> saveInvStd, Args p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int ch = Grid.IdxX, t = Group.IdxX, m = p.N * p.S;
        float sum = 0f;
        for (int i = t; i < m; i += Group.DimX) sum += x[At(i, ch, p)];
        float mean = BlockSum(sum, shared) / m;
        float sq = 0f;
        for (int i = t; i < m; i += Group.DimX) { float d = x[At(i, ch, p)] - mean; sq += d * d; }
        float variance = BlockSum(sq, shared) / m;
        float invStd = 1f / MathF.Sqrt(variance + p.Eps);
        float scale = p.HasAffine != 0 ? gamma[ch] * invStd : invStd, shift = p.HasAffine != 0 ? beta[ch] : 0f;
        for (int i = t; i < m; i += Group.DimX) { long at = At(i, ch, p); y[at] = (x[at] - mean) * scale + shift; }
        if (t == 0)
        {
            saveMean[ch] = mean;
            saveInvStd[ch] = invStd;
            runningMean[ch] = (1f - p.Momentum) * runningMean[ch] + p.Momentum * mean;
            runningVar[ch] = (1f - p.Momentum) * runningVar[ch] + p.Momentum * variance * m / (m - 1);
        }
    }

    private static void EvalKernel(Index1D i, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVar, ArrayView<float> y, Args p)
    {
        int ch = i / p.S % p.C;
        float invStd = 1f / MathF.Sqrt(runningVar[ch] + p.Eps);
        float scale = p.HasAffine != 0 ? gamma[ch] * invStd : invStd, shift = p.HasAffine != 0 ? beta[ch] : 0f;
        y[i] = (x[i] - runningMean[ch]) * scale + shift;
    }

    private static void BackwardKernel(ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gamma, ArrayView<float> saveMean,
        ArrayView<float> saveInvStd, ArrayView<float> gx, ArrayView<float> gradGamma, ArrayView<float> gradBeta, Args p, int flags)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int ch = Grid.IdxX, t = Group.IdxX, m = p.N * p.S;
        float mean = saveMean[ch], invStd = saveInvStd[ch];
        float sg = 0f, sgx = 0f;
        for (int i = t; i < m; i += Group.DimX) { long at = At(i, ch, p); float g = gy[at]; sg += g; sgx += g * (x[at] - mean) * invStd; }
        float sumG = BlockSum(sg, shared), sumGX = BlockSum(sgx, shared);
        float scale = (p.HasAffine != 0 ? gamma[ch] : 1f) * invStd;
        float meanG = sumG / m, meanGX = sumGX / m;
        for (int i = t; i < m; i += Group.DimX)
        {
            long at = At(i, ch, p);
            gx[at] = scale * (gy[at] - meanG - (x[at] - mean) * invStd * meanGX);
        }
        if (t == 0)
        {
            if ((flags & 1) != 0) gradGamma[ch] = sumGX;
            if ((flags & 2) != 0) gradBeta[ch] = sumG;
        }
    }
}
