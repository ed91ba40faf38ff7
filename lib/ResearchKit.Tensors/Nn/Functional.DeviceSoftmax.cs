namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    /// <summary>
    /// <see cref="Softmax"/> / <see cref="LogSoftmax"/> on a device: the dimension is moved last (a copy when it is not already),
    /// one row kernel runs, and the result is moved back. The backward rule is composed from device ops, so it also works
    /// under <c>createGraph</c>.
    /// </summary>
    private static Tensor SoftmaxOnDevice(Tensor x, int d, bool log)
    {
        var backend = x._dev!.Backend;
        if (x.DType != DType.Float32) throw new ArgumentException($"{(log ? "LogSoftmax" : "Softmax")}: expected Float32, got {x.DType}.");
        int rd = x.Dim == 0 ? 0 : d, last = Math.Max(x.Dim - 1, 0);
        Tensor y;
        using (Torch.NoGrad())
        {
            var rows = x.Dim == 0 ? x.Reshape(1) : (rd == last ? x : x.Transpose(rd, last)).Contiguous();
            int cols = rows.Dim == 0 ? 1 : rows.Size(-1);
            var r = Tensor.EmptyOn(backend, rows.Shape.ToArray());
            if (rows.Numel > 0) backend.SoftmaxRows(rows._dev!, rows._offset, rows.Numel / cols, cols, log, r._dev!);
            y = x.Dim == 0 ? r.Reshape() : rd == last ? r : r.Transpose(rd, last).Contiguous();
        }
        return Tensor.Record(y, log ? "log_softmax" : "softmax", x, g =>
            x.Dim == 0 ? g * 0f : log ? g - y.Exp() * g.Sum(rd, keepDim: true) : y * (g - (g * y).Sum(rd, keepDim: true)));
    }
}
