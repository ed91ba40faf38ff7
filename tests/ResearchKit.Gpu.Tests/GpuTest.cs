using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>What every GPU kernel test shares: the devices to run on, and the float comparisons with the CPU engine.</summary>
public static class GpuTest
{
    // RESEARCHKIT_GPU_TEST_DEVICES=cuda runs the CUDA cases alone: on a lent GPU machine the CPU-accelerator cases
    // (CI's job) would spend the short device time without telling anything new.
    private static bool CudaOnly => Environment.GetEnvironmentVariable("RESEARCHKIT_GPU_TEST_DEVICES") == "cuda" && GpuDevice.CudaDeviceCount() > 0;

    /// <summary>The devices to test: ILGPU's CPU accelerator (unless RESEARCHKIT_GPU_TEST_DEVICES=cuda), then each CUDA device the driver shows ("cuda:i").</summary>
    public static TheoryData<string> Devices() => With("cpu");

    /// <summary>The tensor devices to test: ILGPU's CPU accelerator (unless RESEARCHKIT_GPU_TEST_DEVICES=cuda), then each CUDA device ("cuda:i").</summary>
    public static TheoryData<string> TensorDevices() => With("cpu-accelerator");

    private static TheoryData<string> With(string cpuName)
    {
        var data = new TheoryData<string>();
        if (!CudaOnly) data.Add(cpuName);
        for (int i = 0; i < GpuDevice.CudaDeviceCount(); i++) data.Add($"cuda:{i}");
        return data;
    }

    /// <summary>The device a <see cref="TensorDevices"/> entry names, its backend registered (once per process).</summary>
    public static ResearchKit.Tensors.Device TensorDevice(string name) => GpuBackend.Register(ResearchKit.Tensors.Device.Parse(name)).Device;

    /// <summary>The device a <see cref="Devices"/> entry names.</summary>
    public static GpuDevice Open(string device) => device == "cpu" ? GpuDevice.Cpu() : GpuDevice.Cuda(int.Parse(device[5..]));

    /// <summary>Element by element: equal, or |e − g| ≤ tol·(1 + |e|); NaN only where the engine has NaN.</summary>
    public static void CloseEach(float[] expected, float[] got, string what, float tol)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i])) { Assert.True(float.IsNaN(got[i]), $"{what}[{i}]: expected NaN, got {got[i]}"); continue; }
            if (expected[i] == got[i]) continue;   // exact, infinities included
            if (!(Math.Abs(expected[i] - got[i]) <= tol * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}[{i}]: CPU engine {expected[i]}, GPU {got[i]}{Context(expected, got, k => tol * (1 + Math.Abs(expected[k])))}");
        }
    }

    /// <summary>Relative to the largest |e|: |e − g| ≤ tol·(1 + max |e|), for sums whose rounding scales with the whole tensor.</summary>
    public static void CloseScaled(float[] expected, float[] got, string what, float tol)
    {
        Assert.Equal(expected.Length, got.Length);
        float scale = expected.Length == 0 ? 0f : expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - got[i]) <= tol * (1 + scale)))
                Assert.Fail($"{what}[{i}]: CPU engine {expected[i]}, GPU {got[i]}{Context(expected, got, _ => tol * (1 + scale))}");
    }

    // What a failure needs to be diagnosed from a CI log alone: how many elements differ, and both tensors' first values.
    private static string Context(float[] expected, float[] got, Func<int, float> bound)
    {
        int bad = 0;
        for (int i = 0; i < expected.Length; i++) if (expected[i] != got[i] && !(Math.Abs(expected[i] - got[i]) <= bound(i))) bad++;
        static string Head(float[] a) => string.Join(", ", a.Take(12).Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
        return $" ({bad} of {expected.Length} elements differ; CPU [{Head(expected)}]; GPU [{Head(got)}])";
    }
}

/// <summary>A test that needs a CUDA device: skipped, with the reason, where the driver shows none.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when there is no CUDA device.</summary>
    public CudaFactAttribute()
    {
        if (GpuDevice.CudaDeviceCount() == 0)
            Skip = "no CUDA device here (ILGPU finds none): the device theories ran on ILGPU's CPU accelerator only; run this project on a machine with an NVIDIA GPU (environment/device-check.sh) for the CUDA cases.";
    }
}
