using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Memory;

/// <summary>
/// A caching allocator for device memory (PyTorch's CUDA caching allocator, in small): buffers of float are kept in
/// exact-size free lists when returned and lent again for the next request of that size, so a steady training step allocates
/// no device memory after its first step. What the pool keeps is capped; <see cref="EmptyCache"/> releases it.
/// </summary>
/// <remarks>A lent buffer's content is whatever its last user left (as <c>torch.empty</c>): kernels must write every element
/// they read back. Not thread-safe: one pool per stream of work.</remarks>
public sealed class GpuMemoryPool : IDisposable
{
    private readonly GpuDevice _device;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<float, Stride1D.Dense>>> _free = [];
    private long _cachedBytes;
    private bool _disposed;

    /// <summary>Creates a pool over <paramref name="device"/> keeping at most <paramref name="maxCachedBytes"/> of free buffers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The cap is negative.</exception>
    public GpuMemoryPool(GpuDevice device, long maxCachedBytes = 1L << 30)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCachedBytes);
        _device = device;
        MaxCachedBytes = maxCachedBytes;
    }

    /// <summary>Most bytes of free buffers kept for reuse; beyond it a returned buffer is released.</summary>
    public long MaxCachedBytes { get; }

    /// <summary>Bytes of free buffers held now.</summary>
    public long CachedBytes => _cachedBytes;

    /// <summary>Requests served from the free lists.</summary>
    public long Hits { get; private set; }

    /// <summary>Requests that allocated device memory.</summary>
    public long Misses { get; private set; }

    /// <summary>A buffer of exactly <paramref name="length"/> floats; dispose the loan to give it back.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public Loan Rent(long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            Hits++;
            _cachedBytes -= 4 * length;
            return new Loan(this, stack.Pop());
        }
        Misses++;
        return new Loan(this, _device.Accelerator.Allocate1D<float>(length));
    }

    /// <summary>Releases every free buffer (lent ones are unaffected).</summary>
    public void EmptyCache()
    {
        foreach (var stack in _free.Values)
            while (stack.Count > 0) stack.Pop().Dispose();
        _free.Clear();
        _cachedBytes = 0;
    }

    private void Return(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        long bytes = 4 * buffer.Length;
        if (_disposed || _cachedBytes + bytes > MaxCachedBytes) { buffer.Dispose(); return; }
        if (!_free.TryGetValue(buffer.Length, out var stack)) _free[buffer.Length] = stack = new();
        stack.Push(buffer);
        _cachedBytes += bytes;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        EmptyCache();
        _disposed = true;
    }

    /// <summary>A buffer lent by the pool; disposing it gives it back (once).</summary>
    public sealed class Loan : IDisposable
    {
        private readonly GpuMemoryPool _pool;
        private MemoryBuffer1D<float, Stride1D.Dense>? _buffer;

        internal Loan(GpuMemoryPool pool, MemoryBuffer1D<float, Stride1D.Dense> buffer) { _pool = pool; _buffer = buffer; }

        /// <summary>The buffer's view.</summary>
        /// <exception cref="ObjectDisposedException">The loan was given back.</exception>
        public ArrayView<float> View => (_buffer ?? throw new ObjectDisposedException(nameof(Loan), "GpuMemoryPool.Loan: the buffer was given back to the pool; rent another.")).View;

        /// <summary>The underlying buffer (for copies to and from the host).</summary>
        /// <exception cref="ObjectDisposedException">The loan was given back.</exception>
        public MemoryBuffer1D<float, Stride1D.Dense> Buffer => _buffer ?? throw new ObjectDisposedException(nameof(Loan), "GpuMemoryPool.Loan: the buffer was given back to the pool; rent another.");

        /// <inheritdoc/>
        public void Dispose()
        {
            var b = _buffer;
            _buffer = null;
            if (b is not null) _pool.Return(b);
        }
    }
}
