namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    /// <summary>
    /// <see cref="CrossEntropy"/> on a device: logits (N, C) and Int64 class labels (N) on the same device, per-row kernels
    /// for the loss and for its gradient. Class weights, label smoothing, ignored targets and double backward are refused
    /// with the way round (the CPU has them all).
    /// </summary>
    private static Tensor CrossEntropyOnDevice(Tensor input, Tensor target, Tensor? weight, int ignoreIndex, string reduction, float labelSmoothing)
    {
        const string op = "CrossEntropy";
        if (input.Device != target.Device) throw Tensor.MixedDevices(op, input, target);
        string? unsupported = weight is not null ? "class weights" : labelSmoothing != 0f ? "label smoothing" : null;
        if (unsupported is not null)
            throw new NotSupportedException($"{op} with {unsupported} has no kernel on device '{input.Device}' yet; compute this loss on the CPU (logits.Cpu(), target.Cpu()).");
        if (input.DType != DType.Float32 || input.Dim != 2)
            throw new ArgumentException($"{op} on device '{input.Device}': expected Float32 logits of shape (N, C), got {input.DType} of shape {input.Shape}.");
        if (target.DType != DType.Int64 || target.Dim != 1 || target.Size(0) != input.Size(0))
            throw new ArgumentException($"{op} on device '{input.Device}': expected Int64 class labels of shape ({input.Size(0)},) for logits of shape {input.Shape}, got {target.DType} of shape {target.Shape}.");
        int n = input.Size(0), c = input.Size(1);
        // The kernels read labels unchecked (a bad one gives NaN), so check them here: from the range the upload saw when it is
        // enough, else by copying the N labels back (a synchronization in the middle of the step).
        bool known = target.DeviceLabelsKnownIn(0, c) && (ignoreIndex < 0 || ignoreIndex >= c);
        foreach (long t in known ? [] : target.ToInt64Array())
        {
            if (t == ignoreIndex)
                throw new NotSupportedException($"{op}: target {t} is the ignore index; ignored targets have no kernel on device '{input.Device}' yet; compute this loss on the CPU.");
            if (t < 0 || t >= c)
                throw new ArgumentException($"{op}: target {t} is out of bounds for {c} classes (labels must be in [0, {c})).");
        }
        var backend = input._dev!.Backend;
        var x = input.Contiguous();
        var labels = target.Contiguous();
        var rowLoss = Tensor.EmptyOn(backend, [n]);
        backend.CrossEntropyRows(x._dev!, n, c, labels._dev!, rowLoss._dev!);
        Tensor y;
        using (Torch.NoGrad())
            y = reduction switch
            {
                "mean" => rowLoss.Sum() * (1f / n),
                "sum" => rowLoss.Sum(),
                _ => rowLoss,
            };
        float rscale = reduction == "mean" ? 1f / n : 1f;
        return Tensor.Record(y, "cross_entropy", input, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException($"{op}: double backward (createGraph) has no kernel on device '{input.Device}' yet; run it on the CPU.");
            var gx = Tensor.EmptyOn(backend, [n, c]);
            if (reduction == "none")
            {
                backend.CrossEntropyBackward(x._dev!, n, c, labels._dev!, 1f, gx._dev!);
                return gx * g.Unsqueeze(1);
            }
            backend.CrossEntropyBackward(x._dev!, n, c, labels._dev!, g.Item() * rscale, gx._dev!);
            return gx;
        });
    }
}
