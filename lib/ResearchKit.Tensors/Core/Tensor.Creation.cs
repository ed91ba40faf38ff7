namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── creation ─────────────────────────────

    /// <summary>A Float32 tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        CheckCount("FromArray", data.Length, shape);
        return new Tensor((float[])data.Clone(), (int[])shape.Clone());
    }

    /// <summary>An Int64 tensor (labels, indices) holding a copy of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static Tensor FromArray(long[] data, params int[] shape)
    {
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        CheckCount("FromArray", data.Length, shape);
        return new Tensor((long[])data.Clone(), (int[])shape.Clone());
    }

    /// <summary>An Int64 tensor from int values.</summary>
    public static Tensor FromArray(int[] data, params int[] shape)
    {
        var l = new long[data.Length];
        for (int i = 0; i < l.Length; i++) l[i] = data[i];
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        CheckCount("FromArray", data.Length, shape);
        return new Tensor(l, (int[])shape.Clone());
    }

    /// <summary>A Float32 tensor from a 2-D array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var f = new float[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) f[i * c + j] = data[i, j];
        return new Tensor(f, [r, c]);
    }

    private static void CheckCount(string op, int count, int[] shape)
    {
        foreach (int d in shape) if (d < 0) throw new ArgumentException($"{op}: negative dimension in shape {ShapeUtil.Format(shape)}.");
        int n = ShapeUtil.Numel(shape);
        if (n != count) throw new ArgumentException($"{op}: {count} values do not fit shape {ShapeUtil.Format(shape)} ({n} elements).");
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>
    /// An uninitialized contiguous Float32 tensor (<c>torch.empty</c>) that the caller overwrites entirely: its values may
    /// be a recycled tensor's (NaN under <see cref="CachingAllocator.DebugChecks"/>). Takes ownership of <paramref name="shape"/>.
    /// </summary>
    internal static Tensor Empty(int[] shape)
    {
        CheckCount("Empty", ShapeUtil.Numel(shape), shape);
        var (data, storage) = Memory.StoragePool.Rent(ShapeUtil.Numel(shape), zero: false);
        return new Tensor(data, storage, shape);
    }

    /// <summary>Zeros of the given shape, taking ownership of <paramref name="shape"/>.</summary>
    internal static Tensor ZerosOwned(int[] shape)
    {
        CheckCount("Zeros", ShapeUtil.Numel(shape), shape);
        var (data, storage) = Memory.StoragePool.Rent(ShapeUtil.Numel(shape), zero: true);
        return new Tensor(data, storage, shape);
    }

    /// <summary>Zeros of the given shape (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(params int[] shape) => ZerosOwned((int[])shape.Clone());

    // A factory's result on the requested device: made on the host (random numbers come from the host generator, so a seed
    // gives the same values on every device) and uploaded once.
    private static Tensor Placed(Tensor t, Device? device) => device is Device d && !d.IsCpu ? t.To(d) : t;

    /// <summary>A copy of <paramref name="data"/> with <paramref name="shape"/> on <paramref name="device"/> (<c>torch.tensor(data, device=…)</c>).</summary>
    public static Tensor FromArray(float[] data, int[] shape, Device device) => Placed(FromArray(data, shape), device);

    /// <summary>Zeros of the given shape on <paramref name="device"/> (<c>torch.zeros(shape, device=…)</c>).</summary>
    public static Tensor Zeros(int[] shape, Device device) => device.IsCpu ? Zeros(shape) : FullOn(device, shape, 0f);

    /// <summary>Int64 zeros.</summary>
    public static Tensor ZerosInt64(params int[] shape) => new(new long[ShapeUtil.Numel(shape)], (int[])shape.Clone());

    /// <summary>Ones of the given shape (<c>torch.ones</c>).</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>Ones of the given shape on <paramref name="device"/>.</summary>
    public static Tensor Ones(int[] shape, Device device) => Full(shape, 1f, device);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>), on <paramref name="device"/> when given.</summary>
    public static Tensor Full(int[] shape, float value, Device? device = null)
    {
        if (device is Device d && !d.IsCpu) return FullOn(d, shape, value);
        var t = Empty((int[])shape.Clone());
        t._f!.AsSpan().Fill(value);
        return t;
    }

    /// <summary>Zeros shaped like <paramref name="t"/>.</summary>
    public static Tensor ZerosLike(Tensor t) => t._dev is null ? Zeros(t._shape) : FullOn(t.Device, t._shape, 0f);
    /// <summary>Ones shaped like <paramref name="t"/>.</summary>
    public static Tensor OnesLike(Tensor t) => FullOn(t.Device, t._shape, 1f);
    /// <summary>A tensor shaped like <paramref name="t"/> filled with <paramref name="value"/>.</summary>
    public static Tensor FullLike(Tensor t, float value) => FullOn(t.Device, t._shape, value);

    /// <summary>Values <c>start, start+step, …</c> below <paramref name="end"/> (<c>torch.arange</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is zero.</exception>
    public static Tensor Arange(float start, float end, float step = 1f, Device? device = null) => Placed(ArangeHost(start, end, step), device);

    private static Tensor ArangeHost(float start, float end, float step = 1f)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be non-zero.");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var d = new float[n];
        for (int i = 0; i < n; i++) d[i] = start + i * step;
        return new Tensor(d, [n]);
    }

    /// <summary><c>0, 1, …, end-1</c> as Float32.</summary>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary><paramref name="steps"/> values evenly spaced from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(float start, float end, int steps, Device? device = null) => Placed(LinspaceHost(start, end, steps), device);

    private static Tensor LinspaceHost(float start, float end, int steps)
    {
        var d = new float[steps];
        for (int i = 0; i < steps; i++) d[i] = steps == 1 ? start : start + (end - start) * i / (steps - 1);
        return new Tensor(d, [steps]);
    }

    /// <summary>Identity matrix (<c>torch.eye</c>).</summary>
    public static Tensor Eye(int n, int? m = null, Device? device = null) => Placed(EyeHost(n, m), device);

    private static Tensor EyeHost(int n, int? m = null)
    {
        int cols = m ?? n;
        var t = Zeros(n, cols);
        for (int i = 0; i < Math.Min(n, cols); i++) t._f![i * cols + i] = 1f;
        return t;
    }

    // ───────────────────────────── random ─────────────────────────────

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, Device? device = null) => Uniform(shape, 0f, 1f, generator, device);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(int[] shape, float low, float high, Generator? generator = null, Device? device = null) => Placed(UniformHost(shape, low, high, generator), device);

    private static Tensor UniformHost(int[] shape, float low, float high, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone());
        var d = t._f!;
        for (int i = 0; i < d.Length; i++) d[i] = low + (high - low) * g.NextFloat();
        return t;
    }

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, Device? device = null) => Normal(shape, 0f, 1f, generator, device);

    /// <summary>Normal samples with the given mean and standard deviation.</summary>
    public static Tensor Normal(int[] shape, float mean, float std, Generator? generator = null, Device? device = null) => Placed(NormalHost(shape, mean, std, generator), device);

    private static Tensor NormalHost(int[] shape, float mean, float std, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone());
        var d = t._f!;
        for (int i = 0; i < d.Length; i++) d[i] = (float)(mean + std * g.NextNormal());
        return t;
    }

    /// <summary>0/1 samples with probability <paramref name="p"/> of a one (<c>torch.bernoulli</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Bernoulli(int[] shape, float p, Generator? generator = null, Device? device = null) => Placed(BernoulliHost(shape, p, generator), device);

    private static Tensor BernoulliHost(int[] shape, float p, Generator? generator = null)
    {
        if (p is < 0f or > 1f) throw new ArgumentOutOfRangeException(nameof(p), p, "Bernoulli: p must be in [0, 1].");
        var g = generator ?? Generator.Default;
        var t = Empty((int[])shape.Clone());
        var d = t._f!;
        for (int i = 0; i < d.Length; i++) d[i] = g.NextFloat() < p ? 1f : 0f;
        return t;
    }

    /// <summary>0/1 samples with per-element probabilities taken from this tensor (<c>torch.bernoulli(p)</c>).</summary>
    public Tensor Bernoulli(Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var p = ReadSpan();
        var t = Empty((int[])_shape.Clone());
        var d = t._f!;
        for (int i = 0; i < d.Length; i++) d[i] = g.NextFloat() < p[i] ? 1f : 0f;
        return t;
    }

    /// <summary>Int64 samples uniform in [<paramref name="low"/>, <paramref name="high"/>) (<c>torch.randint</c>).</summary>
    public static Tensor Randint(long low, long high, int[] shape, Generator? generator = null, Device? device = null) => Placed(RandintHost(low, high, shape, generator), device);

    private static Tensor RandintHost(long low, long high, int[] shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var d = new long[ShapeUtil.Numel(shape)];
        for (int i = 0; i < d.Length; i++) d[i] = g.NextInt64(low, high);
        return new Tensor(d, (int[])shape.Clone());
    }

    /// <summary>A random permutation of <c>0..n-1</c> as Int64 (<c>torch.randperm</c>, Fisher–Yates).</summary>
    public static Tensor Randperm(int n, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var d = new long[n];
        for (int i = 0; i < n; i++) d[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (d[i], d[j]) = (d[j], d[i]);
        }
        return new Tensor(d, [n]);
    }

    // ───────────────────────────── copies and conversion ─────────────────────────────

    /// <summary>A contiguous tensor with the same values: this one if already contiguous (<c>tensor.contiguous()</c>).</summary>
    public Tensor Contiguous() => IsContiguous && _offset == 0 && (_dev?.Length ?? Storage.Length) == _numel ? this : Clone();

    private Array Storage => (Array?)_f ?? _l!;

    /// <summary>A contiguous copy that is differentiable as identity (<c>tensor.clone()</c>).</summary>
    public Tensor Clone()
    {
        Tensor r;
        if (_dev is not null) r = CloneOnDevice();
        else if (_f is not null)
        {
            r = Empty((int[])_shape.Clone());
            StridedCopy.Copy(_f, _offset, _strides, r._f!, 0, ShapeUtil.ContiguousStrides(_shape), _shape);
        }
        else
        {
            var d = new long[_numel];
            StridedCopy.Gather(_l!, _offset, _shape, _strides, d);
            r = new Tensor(d, (int[])_shape.Clone());
        }
        return Record(r, "clone", this, g => g, NoSaved);
    }

    /// <summary>Converts to Float32 (no copy if already Float32), like <c>tensor.float()</c>.</summary>
    public Tensor Float()
    {
        if (DType == DType.Float32) return this;
        var src = ToInt64Array();
        var r = Empty((int[])_shape.Clone());
        var d = r._f!;
        for (int i = 0; i < d.Length; i++) d[i] = src[i];
        return r;
    }

    /// <summary>Converts to Int64, truncating toward zero (no copy if already Int64), like <c>tensor.long()</c>.</summary>
    public Tensor Long()
    {
        if (_l is not null) return this;
        return new Tensor(ToInt64Array(), (int[])_shape.Clone());
    }

    /// <summary>Copies <paramref name="src"/> (broadcastable) into this tensor in place (<c>tensor.copy_(src)</c>).</summary>
    /// <exception cref="ArgumentException">Shapes are not broadcastable to this tensor's shape.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad in grad mode, or is an expanded/overlapping view.</exception>
    public Tensor CopyFrom(Tensor src)
    {
        CheckInPlace("CopyFrom");
        return StridedWrite(src);
    }

    /// <summary>Writes <paramref name="src"/> (broadcast to this shape) through this view; the caller has checked the write.</summary>
    private Tensor StridedWrite(Tensor src)
    {
        var b = ShapeUtil.Broadcast(_shape, src._shape, "CopyFrom");
        if (!ShapeUtil.SameShape(b, _shape)) throw ThrowHelper.ShapeMismatch("CopyFrom", this, src, "The source must broadcast to the destination's shape.");
        var s = src.Expand(_shape);
        // Across devices, as copy_: the source comes to this tensor's device first.
        if (_dev is not null)
        {
            if (DType != DType.Float32) throw NoKernelOnDevice("CopyFrom into Int64 labels");
            var sd = s._dev is null ? s.Float().To(Device) : s.Device == Device ? s : s.Cpu().To(Device);
            if (sd.DType != DType.Float32) throw NoKernelOnDevice("CopyFrom of Int64 labels");
            _dev.Backend.Copy(_shape, sd._dev!, LongStrides(sd._strides), sd._offset, _dev, LongStrides(_strides), _offset);
            return this;
        }
        if (s._dev is not null) s = s.Cpu();
        if (_f is not null)
        {
            var tmp = s.Float().ReadSpan();
            StridedCopy.Scatter(tmp, _f, _offset, _shape, _strides);
        }
        else
        {
            var tmp = s.Long().ToInt64Array();
            StridedCopy.Scatter<long>(tmp, _l!, _offset, _shape, _strides);
        }
        return this;
    }

    /// <summary>Fills with a value in place (<c>tensor.fill_</c>).</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad in grad mode, or is an expanded/overlapping view.</exception>
    public Tensor Fill_(float value)
    {
        CheckInPlace("Fill_");
        if (_dev is null && IsContiguous) F.AsSpan(_offset, _numel).Fill(value);
        else StridedWrite(Scalar(value));
        return this;
    }

    /// <summary>Sets all elements to zero in place (<c>tensor.zero_()</c>).</summary>
    public Tensor Zero_() => Fill_(0f);
}
