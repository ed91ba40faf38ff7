using ResearchKit.Tensors.Devices;

namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    private static NotSupportedException PoolOptionOnDevice(string op, string option, Device device) =>
        new($"{op} with {option} has no kernel on device '{device}' yet; pool on the CPU (x.Cpu()) or use the default.");

    /// <summary>The device half of <see cref="MaxPool2d"/> (floor mode, no dilation, no indices).</summary>
    private static Tensor MaxPool2dOnDevice(Tensor x, DevicePoolShape g, bool unbatched)
    {
        const string op = "MaxPool2d";
        var backend = x._dev!.Backend;
        var xc = x.Contiguous();
        var y = Tensor.EmptyOn(backend, [g.N, g.C, g.OH, g.OW]);
        var argmax = backend.AllocateLabels((long)g.N * g.C * g.OH * g.OW);
        backend.MaxPool2dForward(g, xc._dev!, y._dev!, argmax);
        y = Tensor.Record(y, "max_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.EmptyOn(backend, [g.N, g.C, g.H, g.W]);
            backend.MaxPool2dBackward(g, gy.Contiguous()._dev!, argmax, gx._dev!);
            return gx;
        });
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <summary>The device half of <see cref="AvgPool2d"/> (floor mode, padding counted in the divisor).</summary>
    private static Tensor AvgPool2dOnDevice(Tensor x, DevicePoolShape g, bool unbatched)
    {
        const string op = "AvgPool2d";
        var backend = x._dev!.Backend;
        var y = Tensor.EmptyOn(backend, [g.N, g.C, g.OH, g.OW]);
        backend.AvgPool2dForward(g, x.Contiguous()._dev!, y._dev!);
        y = Tensor.Record(y, "avg_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.EmptyOn(backend, [g.N, g.C, g.H, g.W]);
            backend.AvgPool2dBackward(g, gy.Contiguous()._dev!, gx._dev!);
            return gx;
        });
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <summary>The device half of <see cref="AdaptiveAvgPool2d"/>.</summary>
    private static Tensor AdaptiveAvgPool2dOnDevice(Tensor x, int oh, int ow, bool unbatched)
    {
        const string op = "AdaptiveAvgPool2d";
        var backend = x._dev!.Backend;
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var y = Tensor.EmptyOn(backend, [n, c, oh, ow]);
        backend.AdaptiveAvgPool2dForward(n, c, h, w, oh, ow, x.Contiguous()._dev!, y._dev!);
        y = Tensor.Record(y, "adaptive_avg_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.EmptyOn(backend, [n, c, h, w]);
            backend.AdaptiveAvgPool2dBackward(n, c, h, w, oh, ow, gy.Contiguous()._dev!, gx._dev!);
            return gx;
        });
        return unbatched ? y.Squeeze(0) : y;
    }
}
