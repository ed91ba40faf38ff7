namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── padding (F.pad) ─────────────────────────────

    /// <summary>
    /// Constant padding with PyTorch's <c>F.pad</c> convention: <paramref name="pad"/> holds (left, right) pairs starting from
    /// the LAST dimension, e.g. <c>[l, r, top, bottom, front, back]</c>. Negative values crop. Differentiable (the gradient is
    /// the correspondingly cropped g). Example: channel zero-padding of NCHW is <c>Pad([0, 0, 0, 0, p, p])</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Odd pad length, more pairs than dimensions, or a negative output size.</exception>
    public Tensor Pad(int[] pad, float value = 0f) => Pad(pad, "constant", value);

    /// <summary>
    /// <c>F.pad(x, pad, mode, value)</c>. Modes: "constant" (any rank, any number of pairs), and "reflect", "replicate",
    /// "circular", which pad the last k = pad.Length/2 ∈ {1, 2, 3} dims of a (k+1)-D or (k+2)-D input (e.g. 2 pairs for
    /// (C, H, W) or (N, C, H, W)). Reflect needs each pad smaller than its dim; circular needs pads no larger than the dim
    /// (after cropping negative pads first, as PyTorch does). All modes are differentiable.
    /// </summary>
    /// <exception cref="ArgumentException">Bad pad length, unknown mode, unsupported rank for the mode, or pads too large (values named).</exception>
    public Tensor Pad(int[] pad, string mode, float value = 0f)
    {
        const string op = "Pad";
        if (pad.Length % 2 != 0)
            throw new ArgumentException($"{op}: padding length must be even ((left, right) pairs from the last dimension backwards), got {pad.Length} values {ShapeUtil.Format(pad)}.");
        int k = pad.Length / 2;
        if (k > _shape.Length)
            throw new ArgumentException($"{op}: padding {ShapeUtil.Format(pad)} has {k} pairs but the input of shape {Shape} has only {_shape.Length} dimensions.");
        switch (mode)
        {
            case "constant": return PadConstant(pad, value);
            case "reflect":
            case "replicate":
            case "circular":
                if (k is < 1 or > 3 || _shape.Length < k + 1 || _shape.Length > k + 2)
                    throw new ArgumentException($"{op}: mode '{mode}' pads the last k dims of a (k+1)-D or (k+2)-D input with k = 1, 2 or 3 (e.g. 2 pairs for (C, H, W) or (N, C, H, W)); got {k} pairs for shape {Shape}.");
                return PadIndexed(pad, mode);
            default:
                throw new ArgumentException($"{op}: unknown mode '{mode}'; expected 'constant', 'reflect', 'replicate' or 'circular'.");
        }
    }

    private Tensor PadConstant(int[] pad, float value)
    {
        int n = _shape.Length;
        var outShape = (int[])_shape.Clone();
        var srcStart = new int[n]; var dstStart = new int[n]; var len = (int[])_shape.Clone();
        bool empty = false;
        for (int p = 0; p < pad.Length / 2; p++)
        {
            int d = n - 1 - p, l = pad[2 * p], r = pad[2 * p + 1];
            int size = _shape[d];
            outShape[d] = size + l + r;
            if (outShape[d] < 0)
                throw new ArgumentException($"Pad: padding ({l}, {r}) of dimension {d} (size {size}) gives a negative output size {outShape[d]} for input shape {Shape}.");
            // out[o] = x[o - l]: copy the source range that stays inside the output.
            int s0 = Math.Max(0, -l), s1 = Math.Min(size, size + r);
            srcStart[d] = s0; dstStart[d] = s0 + l; len[d] = Math.Max(0, s1 - s0);
            if (len[d] == 0) empty = true;
        }
        Tensor res;
        if (_dev is not null) res = PadConstantOnDevice(outShape, value, empty, srcStart, dstStart, len);
        else if (_f is not null) res = value == 0f ? Zeros(outShape) : Full(outShape, value);
        else
        {
            res = ZerosInt64(outShape);
            if (value != 0f) res._l.AsSpan().Fill((long)value);
        }
        if (!empty && _numel > 0 && _dev is null)
        {
            int srcOff = _offset, dstOff = 0;
            var dstStrides = ShapeUtil.ContiguousStrides(outShape);
            for (int d = 0; d < n; d++) { srcOff += srcStart[d] * _strides[d]; dstOff += dstStart[d] * dstStrides[d]; }
            if (_f is not null) StridedCopy.Copy(_f, srcOff, _strides, res._f!, dstOff, dstStrides, len);
            else StridedCopy.Copy(_l!, srcOff, _strides, res._l!, dstOff, dstStrides, len);
        }
        if (DType != DType.Float32) return res;
        // The adjoint of padding by (l, r) with constants is cropping by (l, r): pad g by (-l, -r) with zeros.
        var neg = new int[pad.Length];
        for (int i = 0; i < pad.Length; i++) neg[i] = -pad[i];
        return Record(res, "constant_pad_nd", this, g => g.PadConstant(neg, 0f), NoSaved);
    }

    /// <summary>Constant padding on the device: the output filled with <paramref name="value"/>, then the kept block copied in.</summary>
    private Tensor PadConstantOnDevice(int[] outShape, float value, bool empty, int[] srcStart, int[] dstStart, int[] len)
    {
        if (DType != DType.Float32) throw NoKernelOnDevice("Pad of Int64 labels");
        var res = FullOn(Device, outShape, value);
        if (empty || _numel == 0) return res;
        var dstStrides = ShapeUtil.ContiguousStrides(outShape);
        long srcOff = _offset, dstOff = 0;
        for (int d = 0; d < _shape.Length; d++) { srcOff += (long)srcStart[d] * _strides[d]; dstOff += (long)dstStart[d] * dstStrides[d]; }
        _dev!.Backend.Copy(len, _dev, LongStrides(_strides), srcOff, res._dev!, LongStrides(dstStrides), dstOff);
        return res;
    }

    /// <summary>Reflect/replicate/circular padding as one index_select per padded dim (so autograd comes from index_select).</summary>
    private Tensor PadIndexed(int[] pad, string mode)
    {
        int n = _shape.Length;
        var x = this;
        for (int p = 0; p < pad.Length / 2; p++)
        {
            int d = n - 1 - p, l = pad[2 * p], r = pad[2 * p + 1];
            int size = x._shape[d];
            if (mode == "circular")
            {
                // PyTorch crops negative pads first, then wraps around the cropped extent.
                if (l < 0 || r < 0)
                {
                    int cl = Math.Max(0, -l), cr = Math.Max(0, -r);
                    if (size - cl - cr <= 0)
                        throw new ArgumentException($"Pad: circular padding ({l}, {r}) of dimension {d} (size {size}) leaves nothing of input shape {Shape}.");
                    x = x.Narrow(d, cl, size - cl - cr);
                    size -= cl + cr; l = Math.Max(l, 0); r = Math.Max(r, 0);
                }
                if (l > size || r > size)
                    throw new ArgumentException($"Pad: circular padding ({l}, {r}) of dimension {d} must not exceed its size {size} (input shape {Shape}); it would wrap around more than once.");
            }
            else if (mode == "reflect" && (Math.Abs(l) >= size || Math.Abs(r) >= size))
                throw new ArgumentException($"Pad: reflect padding ({l}, {r}) of dimension {d} must be smaller than its size {size} (input shape {Shape}).");
            int outSize = size + l + r;
            if (outSize <= 0)
                throw new ArgumentException($"Pad: padding ({l}, {r}) of dimension {d} (size {size}) gives output size {outSize} for input shape {Shape}; it must be positive.");
            if (l == 0 && r == 0) continue;
            var map = new long[outSize];
            for (int o = 0; o < outSize; o++)
            {
                int j = o - l;
                if (mode == "reflect") { if (j < 0) j = -j; if (j >= size) j = 2 * (size - 1) - j; }
                else if (mode == "replicate") j = Math.Clamp(j, 0, size - 1);
                else j = ((j % size) + size) % size;
                map[o] = j;
            }
            x = x.IndexSelect(d, new Tensor(map, [outSize]));
        }
        return ReferenceEquals(x, this) ? Clone() : x;
    }
}
