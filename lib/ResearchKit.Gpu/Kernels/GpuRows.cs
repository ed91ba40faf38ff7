using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Row-wise kernels on a <see cref="GpuDevice"/> over a row-major matrix (rows × cols, leading dimension ld): softmax,
/// log-softmax and the per-row cross-entropy of integer labels, each row reduced by one thread block (max, then Σ exp, by
/// a shared-memory tree), and the sum of a vector.
/// </summary>
/// <remarks>The log-sum-exp subtracts the row's maximum first, as PyTorch does, so large logits do not overflow. A row with a
/// NaN gives NaN. Launches are asynchronous on the accelerator's default stream.</remarks>
public static class GpuRows
{
    internal readonly record struct RowArgs(int Rows, int Cols, int Ld, int Mode);

    private const int ModeSoftmax = 0, ModeLogSoftmax = 1;

    /// <summary>y = softmax(x) along each row (y may be x).</summary>
    /// <exception cref="ArgumentException">A size is negative or zero columns, the leading dimension is smaller than a row, or a view is too short.</exception>
    public static void Softmax(GpuDevice device, ArrayView<float> x, int rows, int cols, int ld, ArrayView<float> y) =>
        RowKernel(device, nameof(Softmax), x, rows, cols, ld, y, ModeSoftmax);

    /// <summary>y = log-softmax(x) along each row (y may be x).</summary>
    /// <exception cref="ArgumentException">As <see cref="Softmax"/>.</exception>
    public static void LogSoftmax(GpuDevice device, ArrayView<float> x, int rows, int cols, int ld, ArrayView<float> y) =>
        RowKernel(device, nameof(LogSoftmax), x, rows, cols, ld, y, ModeLogSoftmax);

    /// <summary>loss[r] = logsumexp(x[r, ·]) − x[r, labels[r]] (the per-row cross-entropy; <c>F.cross_entropy</c>'s mean is
    /// <see cref="Sum"/> / rows).</summary>
    /// <exception cref="ArgumentException">As <see cref="Softmax"/>, or fewer labels or losses than rows. A label out of [0, cols)
    /// gives NaN for its row (the host checks labels before launching when it has them).</exception>
    public static void CrossEntropyRows(GpuDevice device, ArrayView<float> x, int rows, int cols, int ld, ArrayView<int> labels, ArrayView<float> loss)
    {
        ArgumentNullException.ThrowIfNull(device);
        Check(nameof(CrossEntropyRows), x.Length, rows, cols, ld);
        if (labels.Length < rows || loss.Length < rows)
            throw new ArgumentException($"GpuRows.CrossEntropyRows: {labels.Length} labels and {loss.Length} losses for {rows} rows.");
        if (rows == 0) return;
        var kernel = device.Kernel("rows-ce", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, RowArgs>(CrossEntropyKernel));
        kernel(device.ReductionConfig(rows), x, labels, loss, new RowArgs(rows, cols, ld, 0));
    }

    /// <summary>
    /// The gradient of <c>scale·Σ_r CrossEntropyRows</c> with respect to the logits: gx[r, j] = scale·(softmax(x)[r, j] − [j = labels[r]])
    /// (scale = 1/rows for <c>F.cross_entropy</c>'s mean). gx may be x.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="CrossEntropyRows"/>.</exception>
    public static void CrossEntropyBackward(GpuDevice device, ArrayView<float> x, int rows, int cols, int ld, ArrayView<int> labels, float scale, ArrayView<float> gx)
    {
        ArgumentNullException.ThrowIfNull(device);
        Check(nameof(CrossEntropyBackward), x.Length, rows, cols, ld);
        Check(nameof(CrossEntropyBackward), gx.Length, rows, cols, ld);
        if (labels.Length < rows) throw new ArgumentException($"GpuRows.CrossEntropyBackward: {labels.Length} labels for {rows} rows.");
        if (rows == 0) return;
        var kernel = device.Kernel("rows-ce-bwd", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, RowArgs, float>(CrossEntropyBackwardKernel));
        kernel(device.ReductionConfig(rows), x, labels, gx, new RowArgs(rows, cols, ld, 0), scale);
    }

    /// <summary>result[0] = Σ x[0..n) (one block, a grid-stride loop then a tree; for the losses of a batch, not large tensors).</summary>
    /// <exception cref="ArgumentException">n is negative, or a view is too short.</exception>
    public static void Sum(GpuDevice device, ArrayView<float> x, int n, ArrayView<float> result)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (n < 0 || x.Length < n || result.Length < 1)
            throw new ArgumentException($"GpuRows.Sum: n = {n} over a view of {x.Length} into a result of {result.Length}.");
        var kernel = device.Kernel("rows-sum", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(SumKernel));
        kernel(device.ReductionConfig(1), x, result, n);
    }

    private static void RowKernel(GpuDevice device, string op, ArrayView<float> x, int rows, int cols, int ld, ArrayView<float> y, int mode)
    {
        ArgumentNullException.ThrowIfNull(device);
        Check(op, x.Length, rows, cols, ld);
        Check(op, y.Length, rows, cols, ld);
        if (rows == 0) return;
        var kernel = device.Kernel("rows-softmax", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, RowArgs>(SoftmaxKernel));
        kernel(device.ReductionConfig(rows), x, y, new RowArgs(rows, cols, ld, mode));
    }

    private static void Check(string op, long length, int rows, int cols, int ld)
    {
        if (rows < 0 || cols < 1) throw new ArgumentException($"GpuRows.{op}: {rows} rows of {cols} columns; a row needs at least one column.");
        if (ld < cols) throw new ArgumentException($"GpuRows.{op}: leading dimension {ld} is smaller than a row of {cols}.");
        if (rows > 0 && length < (long)(rows - 1) * ld + cols)
            throw new ArgumentException($"GpuRows.{op}: a view of {length} elements is too short for {rows}×{cols} with leading dimension {ld}.");
    }

    // Block-wide max then sum of exp(x − max) over the row; every thread of the block gets the log-sum-exp.
    private static float LogSumExp(ArrayView<float> x, long start, int cols, ArrayView<float> shared)
    {
        int t = Group.IdxX;
        float m = float.NegativeInfinity;
        for (int j = t; j < cols; j += Group.DimX) m = MaxNan(m, x[start + j]);
        shared[t] = m;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s) shared[t] = MaxNan(shared[t], shared[t + s]);
            Group.Barrier();
        }
        m = shared[0];
        Group.Barrier();
        float sum = 0f;
        for (int j = t; j < cols; j += Group.DimX) sum += DeviceMath.Exp(x[start + j] - m);
        shared[t] = sum;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s) shared[t] += shared[t + s];
            Group.Barrier();
        }
        float lse = m + DeviceMath.Log(shared[0]);
        Group.Barrier();
        return lse;
    }

    // NaN wins, as in PyTorch's reductions (a GPU's max instruction would return the other operand).
    private static float MaxNan(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : (a > b ? a : b);

    private static void SoftmaxKernel(ArrayView<float> x, ArrayView<float> y, RowArgs p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        long start = (long)Grid.IdxX * p.Ld;
        float lse = LogSumExp(x, start, p.Cols, shared);
        for (int j = Group.IdxX; j < p.Cols; j += Group.DimX)
        {
            float v = x[start + j] - lse;
            y[start + j] = p.Mode == ModeLogSoftmax ? v : DeviceMath.Exp(v);
        }
    }

    private static void CrossEntropyKernel(ArrayView<float> x, ArrayView<int> labels, ArrayView<float> loss, RowArgs p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX;
        long start = (long)row * p.Ld;
        float lse = LogSumExp(x, start, p.Cols, shared);
        if (Group.IdxX == 0)
        {
            int label = labels[row];
            loss[row] = label >= 0 && label < p.Cols ? lse - x[start + label] : float.NaN;
        }
    }

    private static void CrossEntropyBackwardKernel(ArrayView<float> x, ArrayView<int> labels, ArrayView<float> gx, RowArgs p, float scale)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int row = Grid.IdxX, label = labels[row];
        long start = (long)row * p.Ld;
        float lse = LogSumExp(x, start, p.Cols, shared);
        for (int j = Group.IdxX; j < p.Cols; j += Group.DimX)
            gx[start + j] = scale * (DeviceMath.Exp(x[start + j] - lse) - (j == label ? 1f : 0f));
    }

    private static void SumKernel(ArrayView<float> x, ArrayView<float> result, int n)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int t = Group.IdxX;
        float s = 0f;
        for (int i = t; i < n; i += Group.DimX) s += x[i];
        shared[t] = s;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step >>= 1)
        {
            if (t < step) shared[t] += shared[t + step];
            Group.Barrier();
        }
        if (t == 0) result[0] = shared[0];
    }
}
