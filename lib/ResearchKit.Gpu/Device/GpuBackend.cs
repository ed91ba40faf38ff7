using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Gpu.Memory;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using Device = ResearchKit.Tensors.Device;

namespace ResearchKit.Gpu;

/// <summary>
/// The engine's tensors on a GPU: a <see cref="DeviceBackend"/> over this project's ILGPU kernels. After
/// <c>GpuBackend.Register(Device.Cuda(0))</c> (or <see cref="Device.CpuAccelerator"/> on a machine without a GPU),
/// <c>tensor.To(device)</c> and <c>model.To(device)</c> put storage there and the ops with device kernels run there.
/// </summary>
/// <remarks>
/// Float storage comes from a <see cref="GpuMemoryPool"/> (no device allocation per op in a steady step). A storage is given
/// back when the last tensor over it is collected: its finalizer only queues the buffer, and the next allocation on the op's
/// thread returns the queue to the pool (the pool is not thread-safe; finalizers run on their own thread). Calls are
/// serialized by a lock, launches are asynchronous on the accelerator's default stream, and downloads wait for them.
/// </remarks>
public sealed class GpuBackend : DeviceBackend, IDisposable
{
    private readonly GpuMemoryPool _pool;
    // Every lent buffer, by storage id: the backend keeps them reachable, so that a buffer's own finalizer (ILGPU frees device
    // memory there) can never run before the storage's has queued it for the pool.
    private readonly Dictionary<long, IDisposable> _live = [];
    private readonly ConcurrentQueue<long> _dead = new();
    private long _nextId;
    private readonly Lock _gate = new();
    private volatile bool _disposed;

    // The copy stream (uploads from a background thread alongside the compute stream's kernels). Its buffers come from their own
    // pool: a buffer given back may still be read by kernels queued on the compute stream, and the copy stream is not ordered
    // after them, so a returned upload buffer is fenced until the compute stream is next synchronized (every download is).
    private readonly GpuMemoryPool _uploadPool;
    private readonly Lock _uploadGate = new();                  // guards _uploadPool
    private readonly Lock _copyGate = new();                    // one copy at a time: the stream and its page-locked staging
    private List<GpuMemoryPool.Loan> _fenced = [];              // under _gate
    private AcceleratorStream? _copyStream;
    private readonly Dictionary<long, PageLockedArray1D<float>> _stagingFloats = [];
    private readonly Dictionary<long, PageLockedArray1D<int>> _stagingLabels = [];
    private const int MaxStagingSizes = 8;

    private GpuBackend(Device device, GpuDevice gpu)
    {
        Device = device;
        Gpu = gpu;
        _pool = new GpuMemoryPool(gpu);
        _uploadPool = new GpuMemoryPool(gpu, maxCachedBytes: 1L << 28);
    }

    /// <inheritdoc/>
    public override Device Device { get; }

    /// <summary>The accelerator and its compiled kernels.</summary>
    public GpuDevice Gpu { get; }

    /// <summary>
    /// Whether GEMM and convolution run their shared-memory tiled kernels (<see cref="GpuGemm.Sgemm"/>,
    /// <see cref="GpuConv2dTiled"/>): on a GPU, yes; on ILGPU's CPU accelerator, which emulates a thread block's barriers with
    /// OS threads (the tiled convolution measured 50× slower there than the direct one), the simple kernels run instead.
    /// Both are tested against the CPU engine.
    /// </summary>
    public bool Tiled => Gpu.IsCuda;

    /// <summary>The pool the float storages come from (hit and miss counts, cached bytes).</summary>
    public GpuMemoryPool Pool => _pool;

    /// <summary>The pool of the buffers written by the copy stream (<see cref="UploadOnCopyStream"/>); read its counters only
    /// while no upload runs.</summary>
    public GpuMemoryPool UploadPool => _uploadPool;

    private static readonly Lock RegisterGate = new();

    /// <summary>
    /// Opens <paramref name="device"/> (a CUDA device or the CPU accelerator) and makes it the backend of that device; when a
    /// live <see cref="GpuBackend"/> already serves it, returns that one (two accelerators for one device would give tensors
    /// whose storages cannot meet in one kernel).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="device"/> is the CPU, which needs no backend.</exception>
    /// <exception cref="InvalidOperationException">No such CUDA device (the message says how many there are).</exception>
    public static GpuBackend Register(Device device)
    {
        lock (RegisterGate)
        {
            if (DeviceBackends.TryGet(device, out var existing) && existing is GpuBackend open && !open._disposed) return open;
            return Open(device);
        }
    }

    private static GpuBackend Open(Device device)
    {
        var gpu = device.Type switch
        {
            DeviceType.CpuAccelerator => GpuDevice.Cpu(),
            DeviceType.Cuda => GpuDevice.Cuda(device.Index),
            _ => throw new ArgumentException("GpuBackend.Register: the CPU is the engine itself and takes no backend; use Device.Cuda(i) or Device.CpuAccelerator.", nameof(device)),
        };
        var backend = new GpuBackend(device, gpu);
        DeviceBackends.Register(backend);
        return backend;
    }

    /// <summary>One storage: a pooled float buffer, or a buffer of 32-bit class labels.</summary>
    internal sealed class GpuStorage : DeviceStorage
    {
        private readonly GpuBackend _backend;
        private readonly GpuMemoryPool.Loan? _floats;
        private readonly MemoryBuffer1D<int, Stride1D.Dense>? _labels;
        private readonly long _length;
        private readonly long _id;

        internal GpuStorage(GpuBackend backend, long id, GpuMemoryPool.Loan floats, long length) { _backend = backend; _id = id; _floats = floats; _length = length; }
        internal GpuStorage(GpuBackend backend, long id, MemoryBuffer1D<int, Stride1D.Dense> labels, long length) { _backend = backend; _id = id; _labels = labels; _length = length; }

        public override DeviceBackend Backend => _backend;
        internal GpuBackend Owner => _backend;
        public override long Length => _length;
        public override DType DType => _floats is not null ? DType.Float32 : DType.Int64;

        internal ArrayView<float> View => _floats?.View ?? throw new InvalidOperationException("GpuBackend: this storage holds class labels, not floats.");
        internal ArrayView<int> Labels => _labels?.View ?? throw new InvalidOperationException("GpuBackend: this storage holds floats, not class labels.");

        ~GpuStorage()
        {
            if (!_backend._disposed) _backend._dead.Enqueue(_id);
        }
    }

    private GpuStorage S(DeviceStorage s) =>
        s is GpuStorage g && ReferenceEquals(g.Owner, this) ? g
            : throw new ArgumentException($"GpuBackend: a storage of another backend ({s.Device}) was passed to {this}; move tensors between backends with .Cpu() first.");

    // Gives the buffers of collected storages back; on the op's thread, under the lock.
    private void ReturnDead()
    {
        while (_dead.TryDequeue(out long id))
            if (_live.Remove(id, out var buffer)) buffer.Dispose();
    }

    private static readonly float[] Nans = Enumerable.Repeat(float.NaN, 1 << 14).ToArray();

    // As the CPU pool does under its debug checks: uninitialized device storage is NaN, so a kernel that reads what no kernel
    // wrote fails its test instead of passing (or failing now and then) on a recycled buffer's values. On a GPU, a fill kernel;
    // on the CPU accelerator, whose every launch hands work to its thread group, host copies (a kernel per allocation made the
    // GPU test project take 3 min 10 s instead of 1 min 46 s).
    private unsafe void Poison(ArrayView<float> view)
    {
        if (Gpu.IsCuda) { GpuElementwise.Fill(Gpu, view, float.NaN); return; }
        fixed (float* nans = Nans)
            for (long at = 0; at < view.Length; at += Nans.Length)
            {
                long n = Math.Min(Nans.Length, view.Length - at);
                ((ArrayView1D<float, Stride1D.Dense>)view.SubView(at, n)).CopyFromCPU(ref *nans, n);
            }
    }

    /// <inheritdoc/>
    public override DeviceStorage Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReturnDead();
            var loan = _pool.Rent(Math.Max(length, 1));
            if (CachingAllocator.DebugChecks) Poison(loan.View);
            _live.Add(++_nextId, loan);
            return new GpuStorage(this, _nextId, loan, length);
        }
    }

    // ILGPU's copies from and to a `ref T` take its address as a raw pointer and expect pinned memory (the array overloads pin,
    // these do not). Host tensors are managed arrays that a collection on any thread may move: unpinned, a copy then read or
    // wrote the array's old place, and a download left the fresh, zeroed destination as it was: the signature of the GPU
    // tests that read an exact 0 now and then (a bias gradient, argmax indices). So every such copy runs inside `fixed`.

    /// <inheritdoc/>
    public override unsafe DeviceStorage Upload(ReadOnlySpan<float> data)
    {
        var s = (GpuStorage)Allocate(data.Length);
        if (data.Length > 0)
            lock (_gate)
                fixed (float* pinned = data)
                    ((ArrayView1D<float, Stride1D.Dense>)s.View.SubView(0, data.Length)).CopyFromCPU(ref *pinned, data.Length);
        return s;
    }

    /// <inheritdoc/>
    public override DeviceStorage AllocateLabels(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReturnDead();
            var buffer = Gpu.Accelerator.Allocate1D<int>(Math.Max(length, 1));
            _live.Add(++_nextId, buffer);
            return new GpuStorage(this, _nextId, buffer, length);
        }
    }

    /// <inheritdoc/>
    public override DeviceStorage UploadLabels(ReadOnlySpan<long> labels)
    {
        var ints = new int[Math.Max(labels.Length, 1)];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] is < int.MinValue or > int.MaxValue)
                throw new ArgumentException($"To({Device}): Int64 tensors live on the device as 32-bit class labels, and value {labels[i]} at position {i} does not fit; keep this tensor on the CPU.");
            ints[i] = (int)labels[i];
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReturnDead();
            var buffer = Gpu.Accelerator.Allocate1D(ints);
            _live.Add(++_nextId, buffer);
            return new GpuStorage(this, _nextId, buffer, labels.Length);
        }
    }

    /// <inheritdoc/>
    /// <remarks>On CUDA the data goes through page-locked staging memory (the only way a host-to-device copy overlaps kernels).</remarks>
    public override DeviceStorage UploadOnCopyStream(ReadOnlySpan<float> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        GpuMemoryPool.Loan loan;
        lock (_uploadGate) loan = _uploadPool.Rent(Math.Max(data.Length, 1));
        if (data.Length > 0)
        {
            bool serialized = EnterCopy(_stagingFloats, data.Length);
            try
            {
                var stream = CopyStream();
                var staging = Staging(_stagingFloats, data.Length);
                data.CopyTo(staging.Span);
                ((ArrayView1D<float, Stride1D.Dense>)loan.View.SubView(0, data.Length)).CopyFromPageLockedAsync(stream, staging);
                stream.Synchronize();
            }
            finally { ExitCopy(serialized); }
        }
        lock (_gate)
        {
            if (_disposed) { lock (_uploadGate) loan.Dispose(); ObjectDisposedException.ThrowIf(true, this); }
            _live.Add(++_nextId, new FencedLoan(this, loan));
            return new GpuStorage(this, _nextId, loan, data.Length);
        }
    }

    /// <inheritdoc/>
    public override DeviceStorage UploadLabelsOnCopyStream(ReadOnlySpan<long> labels)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = Math.Max(labels.Length, 1);
        MemoryBuffer1D<int, Stride1D.Dense> buffer;
        lock (_gate) buffer = Gpu.Accelerator.Allocate1D<int>(n);
        try
        {
            bool serialized = EnterCopy(_stagingLabels, n);
            try
            {
                var stream = CopyStream();
                var staging = Staging(_stagingLabels, n);
                var span = staging.Span;
                span.Clear();
                for (int i = 0; i < labels.Length; i++)
                {
                    if (labels[i] is < int.MinValue or > int.MaxValue)
                        throw new ArgumentException($"To({Device}): Int64 tensors live on the device as 32-bit class labels, and value {labels[i]} at position {i} does not fit; keep this tensor on the CPU.");
                    span[i] = (int)labels[i];
                }
                buffer.View.CopyFromPageLockedAsync(stream, staging);
                stream.Synchronize();
            }
            finally { ExitCopy(serialized); }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        lock (_gate)
        {
            if (_disposed) { buffer.Dispose(); ObjectDisposedException.ThrowIf(true, this); }
            ReturnDead();
            _live.Add(++_nextId, buffer);
            return new GpuStorage(this, _nextId, buffer, labels.Length);
        }
    }

    // One copy at a time. On CUDA the copy stream runs beside the kernels, except when the copy first creates the stream or
    // a staging array (the accelerator's bookkeeping is then changed, which the kernels' lock guards). ILGPU's CPU accelerator
    // runs one thing at a time: there the copy always holds the kernels' lock, the same code path without the overlap. (This
    // was added when trainer tests failed now and then with launches and copies from two threads at once; the failures of
    // that kind found since came from unpinned host copies, see Upload, so the lock here is caution, not a known need.)
    // Lock order: _gate, then _copyGate (as Dispose).
    private bool EnterCopy<T>(Dictionary<long, PageLockedArray1D<T>> staging, long length) where T : unmanaged
    {
        if (Gpu.IsCuda)
        {
            _copyGate.Enter();
            if (_copyStream is not null && staging.ContainsKey(length)) return false;
            _copyGate.Exit();
        }
        _gate.Enter();
        _copyGate.Enter();
        return true;
    }

    private void ExitCopy(bool serialized)
    {
        _copyGate.Exit();
        if (serialized) _gate.Exit();
    }

    // Under _copyGate. The accelerator is bound to the calling thread first: CUDA contexts are per thread.
    private AcceleratorStream CopyStream()
    {
        Gpu.Accelerator.Bind();
        return _copyStream ??= Gpu.Accelerator.CreateStream();
    }

    // Page-locked staging of exactly `length` elements (ILGPU copies whole page-locked arrays), kept per size: batch sizes recur.
    private PageLockedArray1D<T> Staging<T>(Dictionary<long, PageLockedArray1D<T>> cache, long length) where T : unmanaged
    {
        if (cache.TryGetValue(length, out var a)) return a;
        if (cache.Count >= MaxStagingSizes)
        {
            foreach (var old in cache.Values) old.Dispose();
            cache.Clear();
        }
        return cache[length] = Gpu.Accelerator.AllocatePageLocked1D<T>(length, uninitialized: true);
    }

    /// <summary>An upload buffer's way back: into the fence, not the pool (see <see cref="_fenced"/>).</summary>
    private sealed class FencedLoan(GpuBackend owner, GpuMemoryPool.Loan loan) : IDisposable
    {
        public void Dispose() => owner._fenced.Add(loan);   // from ReturnDead, under _gate
    }

    // Under _gate, after the compute stream was synchronized: the fenced buffers can be written by the copy stream again.
    private void ReleaseFenced(List<GpuMemoryPool.Loan> fenced)
    {
        if (fenced.Count == 0) return;
        lock (_uploadGate) foreach (var loan in fenced) loan.Dispose();
    }

    // Under _gate: the buffers fenced so far; a synchronization of the compute stream that starts after this call releases them.
    private List<GpuMemoryPool.Loan> TakeFenced()
    {
        ReturnDead();
        if (_fenced.Count == 0) return _fenced;
        var taken = _fenced;
        _fenced = [];
        return taken;
    }

    /// <inheritdoc/>
    public override unsafe void Download(DeviceStorage source, long offset, Span<float> destination)
    {
        if (destination.Length == 0) return;
        lock (_gate)
        {
            var fenced = TakeFenced();
            fixed (float* pinned = destination)
            {
                ((ArrayView1D<float, Stride1D.Dense>)S(source).View.SubView(offset, destination.Length)).CopyToCPU(ref *pinned, destination.Length);
                Gpu.Accelerator.DefaultStream.Synchronize();
            }
            ReleaseFenced(fenced);
        }
    }

    /// <summary>How many times class labels were copied back to the host (a synchronization each; label checks avoid it when
    /// the labels' range is known from their upload).</summary>
    public long LabelDownloads => Interlocked.Read(ref _labelDownloads);
    private long _labelDownloads;

    /// <inheritdoc/>
    public override unsafe void DownloadLabels(DeviceStorage source, long offset, Span<long> destination)
    {
        if (destination.Length == 0) return;
        Interlocked.Increment(ref _labelDownloads);
        var ints = new int[destination.Length];
        lock (_gate)
        {
            var fenced = TakeFenced();
            fixed (int* pinned = ints)
            {
                ((ArrayView1D<int, Stride1D.Dense>)S(source).Labels.SubView(offset, destination.Length)).CopyToCPU(ref *pinned, ints.Length);
                Gpu.Accelerator.DefaultStream.Synchronize();
            }
            ReleaseFenced(fenced);
        }
        for (int i = 0; i < ints.Length; i++) destination[i] = ints[i];
    }

    /// <inheritdoc/>
    public override void Binary(DeviceBinaryOp op, ReadOnlySpan<int> shape, DeviceStorage a, ReadOnlySpan<long> aStrides, long aOffset,
        DeviceStorage b, ReadOnlySpan<long> bStrides, long bOffset, DeviceStorage output)
    {
        lock (_gate) GpuElementwise.Binary(Gpu, op, shape, S(a).View, aStrides, aOffset, S(b).View, bStrides, bOffset, S(output).View);
    }

    /// <inheritdoc/>
    public override void Unary(DeviceUnaryOp op, ReadOnlySpan<int> shape, DeviceStorage x, ReadOnlySpan<long> strides, long offset, DeviceStorage output)
    {
        lock (_gate) GpuElementwise.Unary(Gpu, op, shape, S(x).View, strides, offset, S(output).View);
    }

    /// <inheritdoc/>
    public override void Copy(ReadOnlySpan<int> shape, DeviceStorage x, ReadOnlySpan<long> strides, long offset,
        DeviceStorage output, ReadOnlySpan<long> outStrides, long outOffset)
    {
        lock (_gate) GpuElementwise.Copy(Gpu, shape, S(x).View, strides, offset, S(output).View, outStrides, outOffset);
    }

    /// <inheritdoc/>
    public override void Where(ReadOnlySpan<int> shape, DeviceStorage condition, ReadOnlySpan<long> cStrides, long cOffset,
        DeviceStorage a, ReadOnlySpan<long> aStrides, long aOffset, DeviceStorage b, ReadOnlySpan<long> bStrides, long bOffset, DeviceStorage output)
    {
        lock (_gate) GpuElementwise.Where(Gpu, shape, S(condition).View, cStrides, cOffset, S(a).View, aStrides, aOffset, S(b).View, bStrides, bOffset, S(output).View);
    }

    /// <inheritdoc/>
    public override void Extremum(DeviceStorage x, long offset, int outer, int n, int inner, bool max, DeviceStorage values, DeviceStorage indices)
    {
        lock (_gate) GpuReduce.Extremum(Gpu, From(x, offset), outer, n, inner, max, S(values).View, S(indices).Labels);
    }

    /// <inheritdoc/>
    public override void OneHot(DeviceStorage indices, int outer, int n, int inner, DeviceStorage mask)
    {
        lock (_gate) GpuReduce.OneHot(Gpu, S(indices).Labels, outer, n, inner, S(mask).View);
    }

    /// <inheritdoc/>
    public override void SoftmaxRows(DeviceStorage x, long offset, int rows, int cols, bool log, DeviceStorage y)
    {
        lock (_gate)
        {
            var xv = From(x, offset);
            if (log) GpuRows.LogSoftmax(Gpu, xv, rows, cols, cols, S(y).View);
            else GpuRows.Softmax(Gpu, xv, rows, cols, cols, S(y).View);
        }
    }

    private static GpuConvGeometry Geometry(DeviceConvShape g) =>
        new(g.N, g.C, g.H, g.W, g.OutC, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.Groups);

    // An absent optional view is an empty one for the kernels.
    private ArrayView<float> Opt(DeviceStorage? s) => s is null ? default : S(s).View.SubView(0, s.Length);

    /// <inheritdoc/>
    public override void Conv2dForward(DeviceConvShape g, DeviceStorage x, DeviceStorage weight, DeviceStorage? bias, DeviceStorage y)
    {
        lock (_gate)
        {
            if (Tiled) GpuConv2dTiled.Forward(Gpu, Geometry(g), S(x).View, S(weight).View, Opt(bias), S(y).View);
            else GpuConv2d.Forward(Gpu, Geometry(g), S(x).View, S(weight).View, Opt(bias), S(y).View);
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardInput(DeviceConvShape g, DeviceStorage gy, DeviceStorage weight, DeviceStorage gx)
    {
        lock (_gate)
        {
            if (Tiled) GpuConv2dTiled.BackwardInput(Gpu, Geometry(g), S(gy).View, S(weight).View, S(gx).View);
            else GpuConv2d.BackwardInput(Gpu, Geometry(g), S(gy).View, S(weight).View, S(gx).View);
        }
    }

    /// <inheritdoc/>
    public override void Conv2dBackwardWeight(DeviceConvShape g, DeviceStorage x, DeviceStorage gy, DeviceStorage gradWeight, DeviceStorage? gradBias)
    {
        var geometry = Geometry(g);
        if (!Tiled)
        {
            lock (_gate) GpuConv2d.BackwardWeight(Gpu, geometry, S(x).View, S(gy).View, S(gradWeight).View, Opt(gradBias));
            return;
        }
        long workspace = GpuConv2dTiled.WorkspaceLength(geometry);
        lock (_gate)
        {
            // The partial sums live only during this launch pair; the pool may lend the buffer again at once, since later
            // kernels run after these on the same stream.
            using var loan = workspace > 0 ? _pool.Rent(workspace) : null;
            GpuConv2dTiled.BackwardWeight(Gpu, geometry, S(x).View, S(gy).View, S(gradWeight).View, Opt(gradBias),
                loan is null ? default : loan.View.SubView(0, workspace));
        }
    }

    /// <inheritdoc/>
    public override void BatchNormTrain(DeviceStorage x, int n, int c, int s, DeviceStorage? gamma, DeviceStorage? beta,
        DeviceStorage runningMean, DeviceStorage runningVar, float momentum, float eps, DeviceStorage y, DeviceStorage saveMean, DeviceStorage saveInvStd)
    {
        lock (_gate) GpuBatchNorm.ForwardTrain(Gpu, S(x).View, n, c, s, Opt(gamma), Opt(beta), S(runningMean).View, S(runningVar).View,
            momentum, eps, S(y).View, S(saveMean).View, S(saveInvStd).View);
    }

    /// <inheritdoc/>
    public override void BatchNormBackward(DeviceStorage x, DeviceStorage gy, int n, int c, int s, DeviceStorage? gamma,
        DeviceStorage saveMean, DeviceStorage saveInvStd, DeviceStorage gx, DeviceStorage? gradGamma, DeviceStorage? gradBeta)
    {
        lock (_gate) GpuBatchNorm.BackwardTrain(Gpu, S(x).View, S(gy).View, n, c, s, Opt(gamma), S(saveMean).View, S(saveInvStd).View,
            S(gx).View, Opt(gradGamma), Opt(gradBeta));
    }

    /// <inheritdoc/>
    public override void Gemm(bool transA, bool transB, int m, int n, int k, DeviceStorage a, long aOffset, int lda,
        DeviceStorage b, long bOffset, int ldb, DeviceStorage c)
    {
        lock (_gate)
        {
            if (Tiled) GpuGemm.Sgemm(Gpu, transA, transB, m, n, k, 1f, From(a, aOffset), lda, From(b, bOffset), ldb, 0f, S(c).View, n);
            else GpuGemm.SgemmSimple(Gpu, transA, transB, m, n, k, 1f, From(a, aOffset), lda, From(b, bOffset), ldb, 0f, S(c).View, n);
        }
    }

    /// <inheritdoc/>
    public override void Fill(DeviceStorage output, float value)
    {
        lock (_gate)
        {
            var s = S(output);
            GpuElementwise.Fill(Gpu, s.View.SubView(0, s.Length), value);
        }
    }

    /// <inheritdoc/>
    public override void CrossEntropyRows(DeviceStorage logits, int rows, int cols, DeviceStorage labels, DeviceStorage loss)
    {
        lock (_gate) GpuRows.CrossEntropyRows(Gpu, S(logits).View, rows, cols, cols, S(labels).Labels, S(loss).View);
    }

    /// <inheritdoc/>
    public override void CrossEntropyBackward(DeviceStorage logits, int rows, int cols, DeviceStorage labels, float scale, DeviceStorage gradient)
    {
        lock (_gate) GpuRows.CrossEntropyBackward(Gpu, S(logits).View, rows, cols, cols, S(labels).Labels, scale, S(gradient).View);
    }

    /// <inheritdoc/>
    public override void SgdStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage? buffer, float lr, float momentum,
        float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        lock (_gate)
        {
            var p = S(parameter);
            long n = p.Length;
            var pv = p.View.SubView(0, n);
            var gv = S(gradient).View.SubView(0, n);
            var bv = buffer is null ? pv : S(buffer).View.SubView(0, n);
            GpuOptim.SgdStep(Gpu, pv, gv, bv, lr, momentum, dampening, weightDecay, nesterov, firstStep);
        }
    }

    private static GpuPoolGeometry Geometry(DevicePoolShape g) => new(g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW);

    /// <inheritdoc/>
    public override void MaxPool2dForward(DevicePoolShape g, DeviceStorage x, DeviceStorage y, DeviceStorage argmax)
    {
        lock (_gate) GpuPool2d.MaxForward(Gpu, Geometry(g), S(x).View, S(y).View, S(argmax).Labels);
    }

    /// <inheritdoc/>
    public override void MaxPool2dBackward(DevicePoolShape g, DeviceStorage gy, DeviceStorage argmax, DeviceStorage gx)
    {
        lock (_gate) GpuPool2d.MaxBackward(Gpu, Geometry(g), S(gy).View, S(argmax).Labels, S(gx).View);
    }

    /// <inheritdoc/>
    public override void AvgPool2dForward(DevicePoolShape g, DeviceStorage x, DeviceStorage y)
    {
        lock (_gate) GpuPool2d.AvgForward(Gpu, Geometry(g), S(x).View, S(y).View);
    }

    /// <inheritdoc/>
    public override void AvgPool2dBackward(DevicePoolShape g, DeviceStorage gy, DeviceStorage gx)
    {
        lock (_gate) GpuPool2d.AvgBackward(Gpu, Geometry(g), S(gy).View, S(gx).View);
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2dForward(int n, int c, int h, int w, int oh, int ow, DeviceStorage x, DeviceStorage y)
    {
        lock (_gate) GpuPool2d.AdaptiveAvgForward(Gpu, n, c, h, w, oh, ow, S(x).View, S(y).View);
    }

    /// <inheritdoc/>
    public override void AdaptiveAvgPool2dBackward(int n, int c, int h, int w, int oh, int ow, DeviceStorage gy, DeviceStorage gx)
    {
        lock (_gate) GpuPool2d.AdaptiveAvgBackward(Gpu, n, c, h, w, oh, ow, S(gy).View, S(gx).View);
    }

    /// <inheritdoc/>
    public override void AdamStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage expAvg, DeviceStorage expAvgSq, long step,
        float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        if (step > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(step), step, "GpuBackend.AdamStep: the step count exceeds the kernel's 32-bit counter.");
        lock (_gate)
        {
            var p = S(parameter);
            long n = p.Length;
            GpuOptim.AdamStep(Gpu, p.View.SubView(0, n), S(gradient).View.SubView(0, n), S(expAvg).View.SubView(0, n), S(expAvgSq).View.SubView(0, n),
                (int)step, lr, beta1, beta2, eps, weightDecay);
        }
    }

    // A view from an offset to the end of its storage. Views are taken under the lock: a storage whose last reference was
    // the argument may be collected once its view is read, and only the lock keeps another thread from lending its buffer
    // again before the kernel that reads it has run.
    private ArrayView<float> From(DeviceStorage s, long offset)
    {
        var v = S(s).View;
        return v.SubView(offset, v.Length - offset);
    }

    /// <inheritdoc/>
    public override void LstmPointwiseForward(int batch, int hidden, DeviceStorage gates, long gatesOffset, DeviceStorage c, long cOffset,
        DeviceStorage hNext, DeviceStorage cNext)
    {
        lock (_gate) GpuLstm.PointwiseForward(Gpu, batch, hidden, From(gates, gatesOffset), From(c, cOffset), S(hNext).View, S(cNext).View);
    }

    /// <inheritdoc/>
    public override void LstmPointwiseBackward(int batch, int hidden, DeviceStorage gates, long gatesOffset, DeviceStorage c, long cOffset,
        DeviceStorage cNext, DeviceStorage gradH, long gradHOffset, DeviceStorage gradCNext, long gradCNextOffset, DeviceStorage gradGates, DeviceStorage gradC)
    {
        lock (_gate) GpuLstm.PointwiseBackward(Gpu, batch, hidden, From(gates, gatesOffset), From(c, cOffset), S(cNext).View,
            From(gradH, gradHOffset), From(gradCNext, gradCNextOffset), S(gradGates).View, S(gradC).View);
    }

    /// <inheritdoc/>
    public override void RmsPropStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage squareAvg, DeviceStorage? gradAvg,
        DeviceStorage? buffer, float lr, float alpha, float eps, float weightDecay, float momentum)
    {
        lock (_gate)
        {
            var p = S(parameter);
            long n = p.Length;
            ArrayView<float> V(DeviceStorage? s) => s is null ? default : S(s).View.SubView(0, n);
            GpuOptim.RmsPropStep(Gpu, p.View.SubView(0, n), V(gradient), V(squareAvg), V(gradAvg), V(buffer), lr, alpha, eps, weightDecay,
                momentum, gradAvg is not null);
        }
    }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        lock (_gate)
        {
            var fenced = TakeFenced();
            Gpu.Accelerator.Synchronize();
            ReleaseFenced(fenced);
        }
    }

    /// <summary>Unregisters the backend and releases the accelerator (tensors still on it become unusable).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        DeviceBackends.Unregister(Device);
        lock (_gate)
        {
            _disposed = true;
            _dead.Clear();
            _live.Clear();
            _fenced.Clear();
            _pool.Dispose();
            lock (_copyGate)
            {
                lock (_uploadGate) _uploadPool.Dispose();
                foreach (var a in _stagingFloats.Values) a.Dispose();
                foreach (var a in _stagingLabels.Values) a.Dispose();
                _stagingFloats.Clear();
                _stagingLabels.Clear();
                _copyStream?.Dispose();
                _copyStream = null;
            }
            Gpu.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"GpuBackend({Device}: {Gpu.Name})";
}
