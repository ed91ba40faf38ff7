namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    /// <summary>
    /// The device half of <see cref="BatchNorm"/> (arguments already checked). Training: the backend's kernels, which also update the
    /// running statistics in place. Evaluation: the affine map composed from device ops, whose rules give the gradients.
    /// </summary>
    private static Tensor BatchNormOnDevice(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps)
    {
        const string op = "BatchNorm";
        foreach (var t in new[] { runningMean, runningVar, weight, bias })
            if (t is not null && t.Device != input.Device) throw Tensor.MixedDevices(op, input, t);
        var shape = input._shape;
        int n = shape[0], c = shape[1], s = 1;
        for (int i = 2; i < shape.Length; i++) s *= shape[i];
        if (!training)
        {
            var perChannel = new int[shape.Length];
            Array.Fill(perChannel, 1);
            perChannel[1] = c;
            var y = (input - runningMean!.View(perChannel)) / (runningVar!.View(perChannel) + eps).Sqrt();
            if (weight is not null) y *= weight.View(perChannel);
            if (bias is not null) y += bias.View(perChannel);
            return y;
        }
        var backend = input._dev!.Backend;
        var x = input.Contiguous();
        var rm = runningMean ?? Tensor.ZerosLike(Tensor.EmptyOn(backend, [c]));   // statistics nobody keeps: scratch
        var rv = runningVar ?? Tensor.ZerosLike(rm);
        if (rm._offset != 0 || rv._offset != 0 || !rm.IsContiguous || !rv.IsContiguous)
            throw new NotSupportedException($"{op}: running statistics that are views into larger storages have no kernel on device '{input.Device}' yet; pass whole tensors.");
        var wc = weight?.Contiguous(); var bc = bias?.Contiguous();
        var yt = Tensor.EmptyOn(backend, (int[])shape.Clone());
        var saveMean = Tensor.EmptyOn(backend, [c]);
        var saveInvStd = Tensor.EmptyOn(backend, [c]);
        backend.BatchNormTrain(x._dev!, n, c, s, wc?._dev, bc?._dev, rm._dev!, rv._dev!, momentum, eps, yt._dev!, saveMean._dev!, saveInvStd._dev!);
        runningMean?.BumpVersion();
        runningVar?.BumpVersion();
        Tensor[] inputs = weight is null ? [input] : bias is null ? [input, weight] : [input, weight, bias];
        return Tensor.Record(yt, "batch_norm", inputs, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException($"{op}: double backward (createGraph) has no kernel on device '{input.Device}' yet; run it on the CPU.");
            var gyc = g.Contiguous();
            var gx = Tensor.EmptyOn(backend, (int[])shape.Clone());
            bool nw = weight is not null && Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            var gw = nw ? Tensor.EmptyOn(backend, [c]) : null;
            var gb = nb ? Tensor.EmptyOn(backend, [c]) : null;
            backend.BatchNormBackward(x._dev!, gyc._dev!, n, c, s, wc?._dev, saveMean._dev!, saveInvStd._dev!, gx._dev!, gw?._dev, gb?._dev);
            var grads = new Tensor?[inputs.Length];
            grads[0] = gx;
            if (inputs.Length > 1) grads[1] = gw;
            if (inputs.Length > 2) grads[2] = gb;
            return grads;
        });
    }
}
