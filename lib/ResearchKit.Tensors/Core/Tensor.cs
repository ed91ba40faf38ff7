using System.Globalization;
using System.Text;

namespace ResearchKit.Tensors;

/// <summary>
/// An n-dimensional array of <see cref="DType.Float32"/> or <see cref="DType.Int64"/> elements with
/// reverse-mode automatic differentiation, shaped like <c>torch.Tensor</c>.
/// </summary>
/// <remarks>
/// A tensor is a strided view (shape, strides, offset) over a storage array that views share, as in PyTorch.
/// Ops that produce new data return contiguous tensors. Operations are recorded for <see cref="Backward"/>
/// when an input has <see cref="RequiresGrad"/> and grad mode is enabled (see <see cref="Torch.NoGrad"/>).
/// </remarks>
public sealed partial class Tensor
{
    // Not readonly: Module.To moves a parameter's storage to another device in place (PyTorch's param.data = ...).
    private float[]? _floats;

    /// <summary>
    /// The Float32 storage array (null for Int64), for kernels. Every engine read goes through here, so pooled storage
    /// read from a thread other than the one that borrowed it is marked escaped and never lent again (see <see cref="CachingAllocator"/>).
    /// </summary>
    internal float[]? _f
    {
        get
        {
            if (_floats is null && _dev is not null) throw NoKernelOnDevice();
            _version?.CheckThread();
            return _floats;
        }
    }
    internal long[]? _l;
    internal readonly int[] _shape;
    internal readonly int[] _strides;
    internal readonly int _offset;
    internal readonly int _numel;
    private bool _requiresGrad;
    // Shared by every view of one storage; created on first use (most temporaries are never saved or written twice).
    private StorageVersion? _version;

    internal Tensor(float[] data, int[] shape, int[] strides, int offset)
    {
        Memory.StoragePool.CheckNotLent(data);
        _floats = data; _shape = shape; _strides = strides; _offset = offset; _numel = ShapeUtil.Numel(shape);
    }

    /// <summary>A contiguous tensor over storage from the caching allocator (its storage object comes with it).</summary>
    private Tensor(float[] data, StorageVersion? storage, int[] shape)
    {
        _floats = data; _version = storage; _shape = shape; _strides = ShapeUtil.ContiguousStrides(shape); _numel = ShapeUtil.Numel(shape);
    }

    /// <summary>Another view over <paramref name="source"/>'s storage, sharing its storage object (version counter, pool loan).</summary>
    private Tensor(Tensor source, int[] shape, int[] strides, int offset)
    {
        _floats = source._floats; _l = source._l; _dev = source._dev; _shape = shape; _strides = strides; _offset = offset; _numel = ShapeUtil.Numel(shape);
        _version = source.VersionCounter;
    }

    /// <summary>
    /// A tensor with the given geometry over <paramref name="owner"/>'s storage, without graph information. The only
    /// way engine code may wrap an array it got from another tensor: the alias shares the storage object, so pooled
    /// storage is not lent again while the alias lives (see <see cref="CachingAllocator"/>).
    /// </summary>
    internal static Tensor AliasOf(Tensor owner, int[] shape, int[] strides, int offset) => new(owner, shape, strides, offset);

    /// <summary>A contiguous alias of <paramref name="owner"/> (same offset) with another shape of the same element count.</summary>
    internal static Tensor AliasOf(Tensor owner, int[] shape) => new(owner, shape, ShapeUtil.ContiguousStrides(shape), owner._offset);

    internal Tensor(long[] data, int[] shape, int[] strides, int offset)
    {
        _l = data; _shape = shape; _strides = strides; _offset = offset; _numel = ShapeUtil.Numel(shape);
    }

    /// <summary>Wraps a fresh contiguous float array (no copy); an array from another tensor goes through <see cref="AliasOf(Tensor, int[], int[], int)"/>.</summary>
    internal Tensor(float[] data, int[] shape) : this(data, shape, ShapeUtil.ContiguousStrides(shape), 0)
    {
        if (data.Length < _numel) throw new ArgumentException($"Tensor: {data.Length} values cannot fill shape {ShapeUtil.Format(shape)} ({_numel} elements).");
    }

    /// <summary>Wraps a fresh contiguous int64 array (no copy).</summary>
    internal Tensor(long[] data, int[] shape) : this(data, shape, ShapeUtil.ContiguousStrides(shape), 0)
    {
        if (data.Length < _numel) throw new ArgumentException($"Tensor: {data.Length} values cannot fill shape {ShapeUtil.Format(shape)} ({_numel} elements).");
    }

    /// <summary>Element type.</summary>
    public DType DType => _floats is not null ? DType.Float32 : _dev?.DType ?? DType.Int64;

    /// <summary>Shape of the tensor (<c>tensor.shape</c>).</summary>
    public Shape Shape => Shape.Wrap(_shape);

    /// <summary>Strides in elements (<c>tensor.stride()</c>).</summary>
    public int[] Strides => (int[])_strides.Clone();

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Dim => _shape.Length;

    /// <summary>Number of elements (<c>tensor.numel()</c>).</summary>
    public int Numel => _numel;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormDim(dim, _shape.Length, "Size")];

    /// <summary>True when elements are laid out densely in row-major order.</summary>
    public bool IsContiguous
    {
        get
        {
            int acc = 1;
            for (int i = _shape.Length - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != acc) return false;
                acc *= _shape[i];
            }
            return true;
        }
    }

    /// <summary>Whether gradients are accumulated into <see cref="Grad"/> for this leaf, or recorded through it.</summary>
    /// <exception cref="InvalidOperationException">Set on a non-leaf tensor, or on an Int64 tensor.</exception>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value && _l is not null)
                throw new InvalidOperationException("RequiresGrad: only Float32 tensors can require gradients; this tensor is Int64 (labels/indices).");
            if (GradFn is not null && !value)
                throw new InvalidOperationException($"RequiresGrad: cannot turn off gradients of a non-leaf tensor (produced by '{GradFn.Name}'); use Detach() instead.");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, like <c>tensor.requires_grad_()</c>.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true) { RequiresGrad = requiresGrad; return this; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>; null until then.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The autograd node that produced this tensor, or null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>Which output of <see cref="GradFn"/> this tensor is.</summary>
    internal int OutputIndex { get; set; }

    /// <summary>True for tensors created by the user (not by a recorded op).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Optional name shown in errors and summaries (parameters get their state-dict name).</summary>
    public string? Name { get; set; }

    /// <summary>The Float32 storage array, for kernels; marks pooled storage as escaped when read from another thread.</summary>
    internal float[] F
    {
        get
        {
            var f = _floats ?? throw (_dev is not null ? NoKernelOnDevice() : new InvalidOperationException("This operation needs a Float32 tensor, but the tensor is Int64; call .Float() first."));
            _version?.CheckThread();
            return f;
        }
    }
    internal long[] L => _l ?? throw (_dev is not null ? NoKernelOnDevice() : new InvalidOperationException("This operation needs an Int64 tensor (indices/labels), but the tensor is Float32; call .Long() first."));

    /// <summary>
    /// Writable span over the elements of a contiguous Float32 tensor (writes go to the storage). Counts as an in-place
    /// write: it bumps <see cref="Version"/>, so a graph that saved this tensor refuses to backward afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous or not Float32, or is an overlapping view.</exception>
    public Span<float> AsSpan()
    {
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan: tensor of shape {Shape} with strides {ShapeUtil.Format(_strides)} is not contiguous; call Contiguous() first.");
        var span = F.AsSpan(_offset, _numel);
        BumpVersion();
        _version!.Escape();   // the caller may keep using the span after the last tensor goes: never lend this storage again
        return span;
    }

    /// <summary>Engine form of <see cref="AsSpan"/>: bumps the version but leaves pooled storage poolable (the span never leaves the op).</summary>
    internal Span<float> WriteSpan()
    {
        if (!IsContiguous) throw new InvalidOperationException($"WriteSpan: tensor of shape {Shape} with strides {ShapeUtil.Format(_strides)} is not contiguous; call Contiguous() first.");
        var span = F.AsSpan(_offset, _numel);
        BumpVersion();
        return span;
    }

    /// <summary>Engine form of <see cref="AsReadOnlySpan"/> (the span never leaves the op).</summary>
    internal ReadOnlySpan<float> ViewSpan()
    {
        if (!IsContiguous) throw new InvalidOperationException($"ViewSpan: tensor of shape {Shape} with strides {ShapeUtil.Format(_strides)} is not contiguous; call Contiguous() first.");
        return F.AsSpan(_offset, _numel);
    }

    /// <summary>Writable span over the elements of a contiguous Int64 tensor; bumps <see cref="Version"/> like <see cref="AsSpan"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous or not Int64.</exception>
    public Span<long> AsInt64Span()
    {
        if (!IsContiguous) throw new InvalidOperationException($"AsInt64Span: tensor of shape {Shape} is not contiguous; call Contiguous() first.");
        var span = L.AsSpan(_offset, _numel);
        BumpVersion();
        return span;
    }

    /// <summary>Read-only span over the elements of a contiguous Float32 tensor; reading does not bump <see cref="Version"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous or not Float32.</exception>
    public ReadOnlySpan<float> AsReadOnlySpan()
    {
        if (!IsContiguous) throw new InvalidOperationException($"AsReadOnlySpan: tensor of shape {Shape} with strides {ShapeUtil.Format(_strides)} is not contiguous; call Contiguous() first.");
        _version?.Escape();   // see AsSpan
        return F.AsSpan(_offset, _numel);
    }

    /// <summary>
    /// How many times the storage under this tensor has been written in place (PyTorch's <c>tensor._version</c>):
    /// shared by all views of the storage, bumped by every in-place op, <see cref="CopyFrom"/> and <see cref="AsSpan"/>.
    /// </summary>
    public int Version => _version?.Value ?? 0;

    /// <summary>The storage's counter, created on first use and shared with every view made from this tensor.</summary>
    internal StorageVersion VersionCounter => _version ??= new StorageVersion();

    /// <summary>Records an in-place write to the storage.</summary>
    internal void BumpVersion() => VersionCounter.Value++;

    /// <summary>Read-only span over a Float32 tensor's elements, copying only when it is not contiguous.</summary>
    internal ReadOnlySpan<float> ReadSpan() => IsContiguous ? F.AsSpan(_offset, _numel) : Contiguous().F.AsSpan(0, _numel);

    /// <summary>Copies the elements, row-major, to a new array (Int64 values are converted).</summary>
    public float[] ToArray()
    {
        if (_dev is not null) return ToHost().ToArray();
        if (_l is not null) { var src = ToInt64Array(); var r = new float[src.Length]; for (int i = 0; i < r.Length; i++) r[i] = src[i]; return r; }
        return ReadSpan().ToArray();
    }

    /// <summary>Copies the elements of an Int64 tensor (Float32 values are truncated toward zero).</summary>
    public long[] ToInt64Array()
    {
        if (_dev is not null) return ToHost().ToInt64Array();
        if (_f is not null) { var src = ReadSpan(); var r = new long[src.Length]; for (int i = 0; i < r.Length; i++) r[i] = (long)src[i]; return r; }
        return IsContiguous ? L.AsSpan(_offset, _numel).ToArray() : Contiguous().L.AsSpan(0, _numel).ToArray();
    }

    /// <summary>The value of a one-element tensor (<c>tensor.item()</c>); for Int64 prefer <see cref="ItemInt64"/>.</summary>
    /// <exception cref="InvalidOperationException">
    /// The tensor has more than one element, or is Int64 with a value float32 cannot hold exactly (above 2^24 in magnitude,
    /// e.g. 16_777_217): the message names <see cref="ItemInt64"/> rather than rounding silently.
    /// </exception>
    public float Item()
    {
        if (_numel != 1) throw new InvalidOperationException($"Item: only one-element tensors can be converted to a scalar, this one has shape {Shape}.");
        if (_dev is not null) return ToHost().Item();
        return _f is not null ? _f[_offset] : ExactFloat(_l![_offset], "Item");
    }

    /// <summary>Element at a full index (negative indices count from the end); for inspection, not for loops.</summary>
    /// <remarks>On Int64 tensors it throws rather than round a value float32 cannot hold; use <see cref="Int64At"/>.</remarks>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get
        {
            int off = ElementOffset(index);
            return _f is not null ? _f[off] : ExactFloat(_l![off], "Indexer");
        }
    }

    internal int ElementOffset(int[] index)
    {
        if (index.Length != _shape.Length)
            throw new ArgumentException($"Indexer: got {index.Length} indices for a tensor of rank {_shape.Length} (shape {Shape}).");
        int off = _offset;
        for (int i = 0; i < index.Length; i++)
        {
            int ix = index[i] < 0 ? index[i] + _shape[i] : index[i];
            if ((uint)ix >= (uint)_shape[i])
                throw new IndexOutOfRangeException($"Indexer: index {index[i]} is out of range for dimension {i} of size {_shape[i]}.");
            off += ix * _strides[i];
        }
        return off;
    }

    /// <summary>Short description: shape, dtype, grad state, and the values when small.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (_numel <= 64) AppendValues(sb);
        else sb.Append("...");
        sb.Append(", shape=").Append(Shape);
        if (DType == DType.Int64) sb.Append(", dtype=int64");
        if (_dev is not null) sb.Append(", device='").Append(Device).Append('\'');
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (_requiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private void AppendValues(StringBuilder sb)
    {
        bool isLong = DType == DType.Int64;
        var v = isLong ? null : ToArray();
        var lv = isLong ? ToInt64Array() : null;
        int n = _numel;
        if (_shape.Length == 0) { sb.Append(Fmt(0)); return; }
        var strides = ShapeUtil.ContiguousStrides(_shape);
        for (int i = 0; i < n; i++)
        {
            for (int d = 0; d < _shape.Length; d++) if (i % (strides[d] * _shape[d]) == 0) sb.Append('[');
            sb.Append(Fmt(i));
            int closes = 0;
            for (int d = 0; d < _shape.Length; d++) if ((i + 1) % (strides[d] * _shape[d]) == 0) closes++;
            sb.Append(']', closes);
            if (i < n - 1) sb.Append(", ");
        }
        string Fmt(int i) => v is not null ? v[i].ToString("G5", CultureInfo.InvariantCulture) : lv![i].ToString(CultureInfo.InvariantCulture);
    }
}
