using System.Diagnostics;
using System.Reflection;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    /// <summary>The storage when the tensor lives on a device other than the CPU (then the host arrays are null).</summary>
    internal DeviceStorage? _dev;

    private Tensor(DeviceStorage storage, int[] shape, int[] strides, int offset)
    {
        _dev = storage; _shape = shape; _strides = strides; _offset = offset; _numel = ShapeUtil.Numel(shape);
    }

    /// <summary>A contiguous tensor over device storage (takes ownership of <paramref name="shape"/>).</summary>
    internal static Tensor OnDevice(DeviceStorage storage, int[] shape) => new(storage, shape, ShapeUtil.ContiguousStrides(shape), 0);

    /// <summary>Uninitialized contiguous Float32 storage of <paramref name="shape"/> on <paramref name="backend"/>'s device.</summary>
    internal static Tensor EmptyOn(DeviceBackend backend, int[] shape) => OnDevice(backend.Allocate(ShapeUtil.Numel(shape)), shape);

    /// <summary>
    /// The one-hot rows (*, <paramref name="classes"/>) Float32 of these Int64 class labels on their device: the device's
    /// gather (embeddings, MMC's centers) is a one-hot matmul, which picks each row exactly. The caller has checked the range.
    /// </summary>
    internal Tensor OneHotOnDevice(int classes)
    {
        if (_dev is null || _dev.DType != DType.Int64) throw new InvalidOperationException("OneHotOnDevice: Int64 labels on a device expected.");
        if (!IsContiguous || _offset != 0) throw NoKernelOnDevice("a one-hot of a strided view of Int64 labels");
        var mask = EmptyOn(_dev.Backend, [.. _shape, classes]);
        if (_numel > 0) _dev.Backend.OneHot(_dev, _numel, classes, 1, mask._dev!);
        return mask;
    }

    private delegate DeviceStorage LabelUpload(ReadOnlySpan<long> labels);

    // Uploaded labels keep the range the host saw (see DeviceStorage.KnownLabelRange).
    private static Tensor OnDeviceLabels(LabelUpload upload, long[] labels, int[] shape)
    {
        var storage = upload(labels);
        if (labels.Length > 0)
        {
            long min = labels[0], max = labels[0];
            foreach (long v in labels) { if (v < min) min = v; if (v > max) max = v; }
            storage.KnownLabelRange = (min, max);
        }
        return OnDevice(storage, (int[])shape.Clone());
    }

    /// <summary>True when these device labels are known, from their upload, to lie in [<paramref name="min"/>,
    /// <paramref name="maxExclusive"/>): a label check can then skip reading them back.</summary>
    internal bool DeviceLabelsKnownIn(long min, long maxExclusive) =>
        _dev?.KnownLabelRange is (long lo, long hi) && lo >= min && hi < maxExclusive;

    /// <summary>Where the elements live (<c>tensor.device</c>).</summary>
    public Device Device => _dev?.Device ?? Device.Cpu;

    /// <summary>
    /// This tensor on <paramref name="device"/> (<c>tensor.to(device)</c>): itself when already there, else a contiguous copy,
    /// differentiable (the gradient goes back to this tensor's device). Int64 tensors move as class labels (32-bit on a GPU).
    /// </summary>
    /// <exception cref="InvalidOperationException">No backend is registered for <paramref name="device"/> (the message says how).</exception>
    public Tensor To(Device device)
    {
        var from = Device;
        if (device == from) return this;
        Tensor r;
        if (device.IsCpu) r = ToHost();
        else
        {
            var backend = DeviceBackends.For(device);
            var host = _dev is null ? this : ToHost();   // between two devices through the host
            r = host._l is not null ? OnDeviceLabels(backend.UploadLabels, host.ToInt64Array(), _shape) : OnDevice(backend.Upload(host.ReadSpan()), (int[])_shape.Clone());
        }
        return DType == DType.Float32 ? Record(r, "to", this, g => g.To(from), NoSaved) : r;
    }

    /// <summary>
    /// A host tensor's copy on <paramref name="device"/> written through the device's copy stream (see
    /// <see cref="DeviceBackend.UploadOnCopyStream"/>), for <see cref="DevicePrefetcher"/>'s background thread. A tensor that
    /// requires grad, or is not on the host, moves with <see cref="To(Device)"/> instead, so no graph is cut.
    /// </summary>
    internal Tensor ToOnCopyStream(Device device)
    {
        if (device.IsCpu || _dev is not null || RequiresGrad) return To(device);
        var backend = DeviceBackends.For(device);
        return _l is not null ? OnDeviceLabels(backend.UploadLabelsOnCopyStream, ToInt64Array(), _shape) : OnDevice(backend.UploadOnCopyStream(ReadSpan()), (int[])_shape.Clone());
    }

    /// <summary>
    /// Moves this leaf's storage to <paramref name="device"/> in place, keeping the tensor object (PyTorch's
    /// <c>param.data = param.data.to(device)</c>, what <c>module.to</c> does): modules and optimizers that hold it see the move.
    /// Its gradient moves with it. Views taken before keep the old storage.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf, or is a view into a larger storage.</exception>
    internal void MoveStorageTo(Device device)
    {
        if (Device == device) return;
        if (GradFn is not null)
            throw new InvalidOperationException($"To: {Name ?? "a tensor"} of shape {Shape} is not a leaf (produced by '{GradFn.Name}'); only parameters and buffers move in place.");
        long storageLength = _dev?.Length ?? Storage.Length;
        if (!IsContiguous || _offset != 0 || storageLength != _numel)
            throw new InvalidOperationException($"To: {Name ?? "a tensor"} of shape {Shape} is a view into a larger storage; move the tensor it views instead.");
        int version = Version;
        Tensor moved;
        using (Torch.NoGrad()) moved = AliasRaw().To(device);
        _floats = moved._floats; _l = moved._l; _dev = moved._dev;
        // The moved copy's storage object comes along: it holds the pool loan of host storage, which must live as long as this tensor.
        _version = moved.VersionCounter;
        // The values did not change, so the version does not either (as PyTorch's param.data = …): a step size that a
        // quantizer initializes from the first batch unless it was written is still unwritten after model.To(device).
        _version.Value = version;
        if (Grad is not null) using (Torch.NoGrad()) Grad = Grad.To(device);
    }

    /// <summary>This tensor on the host (<c>tensor.cpu()</c>).</summary>
    public Tensor Cpu() => To(Device.Cpu);

    // A device tensor's elements, row-major, on the host.
    private Tensor ToHost()
    {
        var d = _dev!;
        var c = ContiguousOnDevice();
        if (d.DType == DType.Int64)
        {
            var labels = new long[_numel];
            d.Backend.DownloadLabels(c._dev!, c._offset, labels);
            return new Tensor(labels, (int[])_shape.Clone());
        }
        var r = Empty((int[])_shape.Clone());
        d.Backend.Download(c._dev!, c._offset, r._f!.AsSpan(0, _numel));
        return r;
    }

    // Contiguous in the storage (any offset); labels are stored contiguous and have no strided-copy kernel.
    private Tensor ContiguousOnDevice()
    {
        if (IsContiguous) return this;
        if (_dev!.DType == DType.Int64) throw NoKernelOnDevice("a strided view of Int64 labels");
        return CloneOnDevice();
    }

    /// <summary>A contiguous device copy (the device half of <see cref="Clone"/>).</summary>
    private Tensor CloneOnDevice()
    {
        if (_dev!.DType == DType.Int64) throw NoKernelOnDevice("Clone of Int64 labels");
        var r = EmptyOn(_dev.Backend, (int[])_shape.Clone());
        _dev.Backend.Copy(_shape, _dev, LongStrides(_strides), _offset, r._dev!, LongStrides(r._strides), 0);
        return r;
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/> on <paramref name="device"/>.</summary>
    internal static Tensor FullOn(Device device, int[] shape, float value)
    {
        if (device.IsCpu) return Full(shape, value);
        var backend = DeviceBackends.For(device);
        var r = EmptyOn(backend, (int[])shape.Clone());
        backend.Fill(r._dev!, value);
        return r;
    }

    internal static long[] LongStrides(int[] strides)
    {
        var s = new long[strides.Length];
        for (int i = 0; i < s.Length; i++) s[i] = strides[i];
        return s;
    }

    /// <summary>
    /// The backend two operands share. A 0-dim CPU tensor (a Python-style scalar) goes with any device, as in PyTorch; any other
    /// mix of devices is an error that names both.
    /// </summary>
    internal static DeviceBackend SharedBackend(string op, Tensor a, Tensor b)
    {
        var da = a.Device; var db = b.Device;
        if (da == db || (db.IsCpu && b.Dim == 0)) return a._dev!.Backend;
        if (da.IsCpu && a.Dim == 0) return b._dev!.Backend;
        throw MixedDevices(op, a, b);
    }

    /// <summary>The error for operands on different devices, naming both.</summary>
    internal static ArgumentException MixedDevices(string op, Tensor a, Tensor b) =>
        new($"{op}: expected all tensors on the same device, but found one on {a.Device} (shape {a.Shape}) and one on {b.Device} " +
            $"(shape {b.Shape}). Move one with .To(...) (e.g. x.To(y.Device)), or create both on one device.");

    /// <summary><paramref name="t"/> on <paramref name="backend"/>'s device (a CPU scalar is uploaded).</summary>
    private static Tensor OnBackend(Tensor t, DeviceBackend backend) => t._dev is null ? OnDevice(backend.Upload(t.ReadSpan()), []) : t;

    /// <summary>op(a, b) with broadcasting on the operands' device (no autograd).</summary>
    internal static Tensor DeviceBinary(Tensor a, Tensor b, DeviceBinaryOp op, string name)
    {
        var backend = SharedBackend(name, a, b);
        // A host Int64 scalar meets a float device tensor as a float, as on the CPU (x.Le(3L), x * 2L).
        if (a._dev is null && a._l is not null && a.Dim == 0) a = a.Float();
        if (b._dev is null && b._l is not null && b.Dim == 0) b = b.Float();
        if (a.DType != DType.Float32 || b.DType != DType.Float32) throw NoKernelOnDevice($"{name} on Int64 tensors", backend.Device);
        a = OnBackend(a, backend); b = OnBackend(b, backend);
        int[] shape = ShapeUtil.SameShape(a._shape, b._shape) ? (int[])a._shape.Clone() : ShapeUtil.Broadcast(a._shape, b._shape, name);
        var r = EmptyOn(backend, shape);
        backend.Binary(op, shape, a._dev!, LongStrides(ShapeUtil.BroadcastStrides(a._shape, a._strides, shape)), a._offset,
            b._dev!, LongStrides(ShapeUtil.BroadcastStrides(b._shape, b._strides, shape)), b._offset, r._dev!);
        return r;
    }

    /// <summary>this += g on the device, written into this storage (a gradient buffer: contiguous from its start).</summary>
    private void DeviceAddInPlace(Tensor g)
    {
        var backend = SharedBackend("gradient accumulation", this, g);
        if (!IsContiguous || _offset != 0 || DType != DType.Float32) throw NoKernelOnDevice("accumulating into a strided or Int64 tensor", backend.Device);
        g = OnBackend(g, backend);
        // Element i is read and written by the same thread only, so the output may be the first input.
        backend.Binary(DeviceBinaryOp.Add, _shape, _dev!, LongStrides(_strides), 0,
            g._dev!, LongStrides(ShapeUtil.BroadcastStrides(g._shape, g._strides, _shape)), g._offset, _dev!);
    }

    /// <summary>f(x) on x's device (no autograd).</summary>
    private Tensor DeviceUnary(DeviceUnaryOp op)
    {
        if (_dev!.DType != DType.Float32) throw NoKernelOnDevice($"{op} on Int64 labels");
        var r = EmptyOn(_dev.Backend, (int[])_shape.Clone());
        _dev.Backend.Unary(op, _shape, _dev, LongStrides(_strides), _offset, r._dev!);
        return r;
    }

    /// <summary>The device op of a CPU binary kernel type, or null when the device has none.</summary>
    private static DeviceBinaryOp? DeviceOpOf<TOp>() where TOp : struct, IBinaryOp =>
        typeof(TOp) == typeof(AddOp) ? DeviceBinaryOp.Add :
        typeof(TOp) == typeof(SubOp) ? DeviceBinaryOp.Sub :
        typeof(TOp) == typeof(MulOp) ? DeviceBinaryOp.Mul :
        typeof(TOp) == typeof(DivOp) ? DeviceBinaryOp.Div :
        typeof(TOp) == typeof(MaxOp) ? DeviceBinaryOp.Maximum :
        typeof(TOp) == typeof(MinOp) ? DeviceBinaryOp.Minimum :
        typeof(TOp) == typeof(PowOp) ? DeviceBinaryOp.Pow :
        typeof(TOp) == typeof(CompareOp<EqC>) ? DeviceBinaryOp.Eq :
        typeof(TOp) == typeof(CompareOp<NeC>) ? DeviceBinaryOp.Ne :
        typeof(TOp) == typeof(CompareOp<LtC>) ? DeviceBinaryOp.Lt :
        typeof(TOp) == typeof(CompareOp<LeC>) ? DeviceBinaryOp.Le :
        typeof(TOp) == typeof(CompareOp<GtC>) ? DeviceBinaryOp.Gt :
        typeof(TOp) == typeof(CompareOp<GeC>) ? DeviceBinaryOp.Ge : null;

    /// <summary>2-D product on the operands' device, reading transposed views in place like the CPU GEMM.</summary>
    private static Tensor DeviceMm(Tensor a, Tensor b)
    {
        var backend = SharedBackend("Matmul", a, b);
        int m = a._shape[0], k = a._shape[1], n = b._shape[1];
        var (sa, oa, lda, ta) = DeviceGemmOperand(a);
        var (sb, ob, ldb, tb) = DeviceGemmOperand(b);
        var c = EmptyOn(backend, [m, n]);
        if (k == 0) backend.Fill(c._dev!, 0f);
        else if (m > 0 && n > 0) backend.Gemm(ta, tb, m, n, k, sa, oa, lda, sb, ob, ldb, c._dev!);
        return c;
    }

    private static (DeviceStorage Storage, long Offset, int Ld, bool Trans) DeviceGemmOperand(Tensor t)
    {
        if (t.DType != DType.Float32) throw NoKernelOnDevice("Matmul on Int64 tensors", t.Device);
        int r = t._shape[0], c = t._shape[1];
        if ((t._strides[1] == 1 || c == 1) && t._strides[0] >= c) return (t._dev!, t._offset, Math.Max(t._strides[0], c), false);
        if ((t._strides[0] == 1 || r == 1) && t._strides[1] >= r) return (t._dev!, t._offset, Math.Max(t._strides[1], r), true);
        var cc = t.CloneOnDevice();
        return (cc._dev!, 0, c, false);
    }

    /// <summary>
    /// Sum over the dims in <paramref name="mask"/> on the device, keepdim shape: the kept dims are moved first, the summed ones
    /// last, and the (kept × summed) matrix is multiplied by a vector of ones (one GEMM, no reduction kernel needed).
    /// </summary>
    private Tensor DeviceSumRaw(bool[] mask)
    {
        var backend = _dev!.Backend;
        if (_dev.DType != DType.Float32) throw NoKernelOnDevice("Sum of Int64 labels");
        var order = new List<int>();
        for (int i = 0; i < mask.Length; i++) if (!mask[i]) order.Add(i);
        int kept = 1;
        foreach (int i in order) kept *= _shape[i];
        for (int i = 0; i < mask.Length; i++) if (mask[i]) order.Add(i);
        int summed = _numel / Math.Max(kept, 1);
        var permuted = AliasOf(this, order.Select(i => _shape[i]).ToArray(), order.Select(i => _strides[i]).ToArray(), _offset);
        var dense = permuted.IsContiguous ? permuted : permuted.CloneOnDevice();
        var outShape = (int[])_shape.Clone();
        for (int i = 0; i < mask.Length; i++) if (mask[i]) outShape[i] = 1;
        var r = EmptyOn(backend, outShape);
        if (kept == 0) return r;
        if (summed == 0) { backend.Fill(r._dev!, 0f); return r; }
        var ones = EmptyOn(backend, [summed]);
        backend.Fill(ones._dev!, 1f);
        backend.Gemm(false, false, kept, 1, summed, dense._dev!, dense._offset, summed, ones._dev!, 0, 1, r._dev!);
        return r;
    }

    /// <summary>The error of an op that has no kernel on this tensor's device.</summary>
    private Exception NoKernelOnDevice(string? what = null) => NoKernelOnDevice(what ?? PublicCaller(), Device);

    private static NotSupportedException NoKernelOnDevice(string what, Device device) =>
        new($"{what} has no kernel on device '{device}' yet. Move the tensor to the CPU (x.Cpu()), run the op there and move the " +
            "result back with .To(device); ops with device kernels: element-wise + − × ÷, pow, maximum, minimum, comparisons, where, clamp, " +
            "neg, abs, sign, relu, exp, log, sigmoid, tanh, sqrt, rsqrt, reciprocal, square, sin, cos, floor, ceil, round, trunc, views, " +
            "Contiguous/Clone/CopyFrom, in-place Add_/Mul_/Div_/Clamp_/Fill_, constant Pad, Matmul (2-D), Sum/Mean/Var, Max/Min/Argmax " +
            "(over a dim or all), Softmax/LogSoftmax, To/Cpu, Linear, Conv2d, BatchNorm, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, " +
            "CrossEntropy (class labels), Embedding, LSTM, Dropout, gradient clipping by norm, SGD, Adam, RMSprop; factories take a device argument.");

    // The innermost public API member on the stack: the op the user called (for the error only).
    private static string PublicCaller()
    {
        var asm = typeof(Tensor).Assembly;
        foreach (var frame in new StackTrace(2, false).GetFrames())
        {
            if (frame.GetMethod() is not MethodBase m || m.DeclaringType is not Type t || t.Assembly != asm) continue;
            if (m.IsPublic && t.IsPublic) return $"{t.Name}.{(m.IsSpecialName && m.Name.StartsWith("get_", StringComparison.Ordinal) ? m.Name[4..] : m.Name)}";
        }
        return "This operation";
    }
}
