using ILGPU.Runtime;
using ResearchKit.Gpu.Memory;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>The device caching allocator: a steady loop stops allocating after its first step, sizes are exact, the cap
/// holds, a loan is given back once, and a given-back loan refuses use.</summary>
public class GpuMemoryPoolTests
{
    [Fact]
    public void ASteadyLoop_AllocatesOnlyOnItsFirstStep()
    {
        using var gpu = GpuDevice.Cpu();
        using var pool = new GpuMemoryPool(gpu);
        for (int step = 0; step < 5; step++)
        {
            using var a = pool.Rent(1000);
            using var b = pool.Rent(1000);
            using var c = pool.Rent(37);
            a.Buffer.MemSetToZero();   // a loan holds whatever its last user left: write before reading
        }
        Assert.Equal(3, pool.Misses);
        Assert.Equal(12, pool.Hits);
        Assert.Equal(4 * (2000 + 37), pool.CachedBytes);
        pool.EmptyCache();
        Assert.Equal(0, pool.CachedBytes);
    }

    [Fact]
    public void TheCap_Holds_AndALoanIsGivenBackOnce()
    {
        using var gpu = GpuDevice.Cpu();
        using var pool = new GpuMemoryPool(gpu, maxCachedBytes: 4 * 1500);
        var a = pool.Rent(1000);
        var b = pool.Rent(1000);
        a.Dispose();
        a.Dispose();   // a second give-back is a no-op
        b.Dispose();   // over the cap: released, not cached
        Assert.Equal(4000, pool.CachedBytes);
        Assert.Throws<ObjectDisposedException>(() => a.View);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(0));
    }
}
