using ResearchKit.Tensors.Devices;

namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    /// <summary>The device half of <see cref="Conv2d"/>: checked arguments, contiguous NCHW operands, the backend's kernels both ways.</summary>
    private static Tensor Conv2dOnDevice(Tensor x, Tensor weight, Tensor? bias, DeviceConvShape g, bool unbatched)
    {
        const string op = "Conv2d";
        if (x.Device != weight.Device) throw Tensor.MixedDevices(op, x, weight);
        if (bias is not null && bias.Device != x.Device) throw Tensor.MixedDevices(op, x, bias);
        var backend = x._dev!.Backend;
        var xc = x.Contiguous();
        var wc = weight.Contiguous();
        var bc = bias?.Contiguous();
        int oh = (g.H + 2 * g.PH - g.DH * (g.KH - 1) - 1) / g.SH + 1, ow = (g.W + 2 * g.PW - g.DW * (g.KW - 1) - 1) / g.SW + 1;
        var y = Tensor.EmptyOn(backend, [g.N, g.OutC, oh, ow]);
        backend.Conv2dForward(g, xc._dev!, wc._dev!, bc?._dev, y._dev!);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        y = Tensor.Record(y, "conv2d", inputs, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gyc = gy.Contiguous();
            var grads = new Tensor?[inputs.Length];
            if (Tensor.Needs(x))
            {
                var gx = Tensor.EmptyOn(backend, [g.N, g.C, g.H, g.W]);
                backend.Conv2dBackwardInput(g, gyc._dev!, wc._dev!, gx._dev!);
                grads[0] = gx;
            }
            bool nw = Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            if (nw || nb)
            {
                var gw = Tensor.EmptyOn(backend, weight.Shape.ToArray());
                var gb = nb ? Tensor.EmptyOn(backend, [g.OutC]) : null;
                backend.Conv2dBackwardWeight(g, xc._dev!, gyc._dev!, gw._dev!, gb?._dev);
                if (nw) grads[1] = gw;
                if (nb) grads[2] = gb;
            }
            return grads;
        });
        return unbatched ? y.Squeeze(0) : y;
    }
}
