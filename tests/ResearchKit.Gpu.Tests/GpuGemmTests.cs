using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors.Kernels;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// The GPU SGEMM against the CPU engine's <c>Gemm.Sgemm</c> (the reference every other op is tested against): every transpose,
/// odd shapes that leave partial tiles, leading dimensions wider than the rows, α and β, on ILGPU's CPU accelerator always and
/// on every CUDA device present (none here: the CPU accelerator runs the same kernel code).
/// </summary>
public class GpuGemmTests
{
    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Sgemm_EveryTranspose_MatchesTheCpuEngine_OnOddShapes(string device)
    {
        using var gpu = GpuTest.Open(device);
        var rng = new Random(7);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (3, 17, 5), (17, 33, 16), (33, 1, 40), (16, 16, 17) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 2f) })
                    {
                        int aCols = ta ? m : k, bCols = tb ? k : n;
                        int lda = aCols + 3, ldb = bCols + 1, ldc = n + 2;   // rows wider than the matrix: the gaps must stay untouched
                        var a = Random(rng, (ta ? k : m) * lda);
                        var b = Random(rng, (tb ? n : k) * ldb);
                        var c0 = Random(rng, m * ldc);
                        var expected = (float[])c0.Clone();
                        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);

                        using var da = gpu.Accelerator.Allocate1D(a);
                        using var db = gpu.Accelerator.Allocate1D(b);
                        foreach (bool simple in new[] { false, true })
                        {
                            using var dc = gpu.Accelerator.Allocate1D(c0);
                            if (simple) GpuGemm.SgemmSimple(gpu, ta, tb, m, n, k, alpha, da.View, lda, db.View, ldb, beta, dc.View, ldc);
                            else GpuGemm.Sgemm(gpu, ta, tb, m, n, k, alpha, da.View, lda, db.View, ldb, beta, dc.View, ldc);
                            var got = dc.GetAsArray1D();
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < ldc; j++)
                                {
                                    float e = expected[i * ldc + j], g = got[i * ldc + j];
                                    if (j >= n) Assert.Equal(c0[i * ldc + j], g);   // outside the matrix: untouched
                                    else Assert.True(Math.Abs(e - g) <= 1e-5f * (k + 1) * (1 + Math.Abs(e)),
                                        $"{device} {(simple ? "simple" : "tiled")} m={m} n={n} k={k} ta={ta} tb={tb} α={alpha} β={beta}: C[{i},{j}] = {g}, CPU engine {e}");
                                }
                        }
                    }
    }

    [Fact]
    public void BetaZero_IgnoresWhatCHeld_AndBadArguments_AreRefused()
    {
        using var gpu = GpuDevice.Cpu();
        using var da = gpu.Accelerator.Allocate1D(new float[] { 1, 2, 3, 4 });   // [[1, 2], [3, 4]]
        using var db = gpu.Accelerator.Allocate1D(new float[] { 1, 0, 0, 1 });
        using var dc = gpu.Accelerator.Allocate1D(new float[] { float.NaN, float.NaN, float.NaN, float.NaN });
        GpuGemm.Sgemm(gpu, false, false, 2, 2, 2, 1f, da.View, 2, db.View, 2, 0f, dc.View, 2);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, dc.GetAsArray1D());

        var ld = Assert.Throws<ArgumentException>(() => GpuGemm.Sgemm(gpu, false, false, 2, 2, 2, 1f, da.View, 1, db.View, 2, 0f, dc.View, 2));
        Assert.Contains("leading dimension of A", ld.Message);
        var shortC = Assert.Throws<ArgumentException>(() => GpuGemm.Sgemm(gpu, false, false, 2, 3, 2, 1f, da.View, 2, db.View, 3, 0f, dc.View, 3));
        Assert.Contains("B has 4 elements", shortC.Message);
        Assert.Throws<ArgumentException>(() => GpuGemm.Sgemm(gpu, false, false, -1, 2, 2, 1f, da.View, 2, db.View, 2, 0f, dc.View, 2));
    }

    [Fact]
    public void Cuda_WithoutADevice_SaysSoAndHowToTestAnyway()
    {
        int count = GpuDevice.CudaDeviceCount();
        var e = Assert.Throws<InvalidOperationException>(() => GpuDevice.Cuda(count));
        Assert.Contains($"{count} CUDA device(s)", e.Message);
        Assert.Contains("GpuDevice.Cpu()", e.Message);
    }
}
