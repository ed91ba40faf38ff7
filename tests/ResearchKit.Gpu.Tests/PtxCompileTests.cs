using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Every kernel of ResearchKit.Gpu compiles to PTX for a Hopper GPU (sm_90), on any machine: ILGPU's PTX backend runs
/// without a driver. The CPU accelerator runs plain .NET, so a kernel that calls a function the PTX backend lacks
/// (<c>MathF.Exp</c>, say) passes every CPU-accelerator test and fails only on a real GPU; this test catches that in CI.
/// </summary>
public sealed class PtxCompileTests
{
    // The kernels are the static methods named *Kernel of the Kernels namespace (the methods the Load*Kernel calls name)
    // whose parameters are all value types (indices, views, argument structs); host helpers take the device object.
    private static IEnumerable<MethodInfo> Kernels() =>
        typeof(GpuDevice).Assembly.GetTypes()
            .Where(t => t.Namespace == "ResearchKit.Gpu.Kernels")
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.ReturnType == typeof(void) && !m.IsGenericMethodDefinition
                && m.GetParameters().All(p => p.ParameterType.IsValueType));

    private static string CompileToPtx(Context context, PTXBackend backend, MethodInfo kernel)
    {
        var first = kernel.GetParameters().FirstOrDefault()?.ParameterType;
        var entry = first == typeof(Index1D) ? ImplicitlyGrouped(kernel) : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        var specialization = KernelSpecialization.Empty;
        var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);
        return compiled.PTXAssembly.ToString() ?? "";
    }

    // ILGPU keeps the auto-grouped entry point's factory internal (LoadAutoGroupedKernel calls it); reach it by name.
    private static EntryPointDescription ImplicitlyGrouped(MethodInfo kernel)
    {
        var factory = typeof(EntryPointDescription).GetMethod("FromImplicitlyGroupedKernel", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("ILGPU no longer has EntryPointDescription.FromImplicitlyGroupedKernel: update this test to its replacement.");
        return (EntryPointDescription)factory.Invoke(null, [kernel])!;
    }

    [Fact]
    public void EveryKernelCompilesToPtxForHopper()
    {
        using var context = Context.Create(b => b.Cuda());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var kernels = Kernels().ToList();
        Assert.True(kernels.Count >= 30, $"found {kernels.Count} kernels: the reflection filter no longer sees them");
        var failures = new List<string>();
        foreach (var k in kernels)
        {
            try
            {
                string ptx = CompileToPtx(context, backend, k);
                if (!ptx.Contains(".entry", StringComparison.Ordinal)) failures.Add($"{k.DeclaringType!.Name}.{k.Name}: no .entry in the PTX");
            }
            catch (Exception e)
            {
                failures.Add($"{k.DeclaringType!.Name}.{k.Name}: {(e.InnerException ?? e).GetBaseException().Message}");
            }
        }
        Assert.True(failures.Count == 0, "kernels that do not compile to PTX:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// On each CUDA device: every kernel compiled for the device and loaded, so the driver assembles its PTX for this GPU
    /// (what the sm_90 compile above cannot check). Skipped, with the reason, where there is no CUDA device.
    /// </summary>
    [CudaFact]
    public void EveryKernelLoadsOnEachCudaDevice()
    {
        var failures = new List<string>();
        for (int d = 0; d < GpuDevice.CudaDeviceCount(); d++)
        {
            using var gpu = GpuDevice.Cuda(d);
            failures.AddRange(LoadEvery(gpu));
        }
        Assert.True(failures.Count == 0, "kernels that do not load on CUDA:\n" + string.Join("\n", failures));
    }

    /// <summary>The same loading on ILGPU's CPU accelerator, so the check above is known to reach every kernel.</summary>
    [Fact]
    public void EveryKernelLoadsOnTheCpuAccelerator()
    {
        using var gpu = GpuDevice.Cpu();
        var failures = LoadEvery(gpu);
        Assert.True(failures.Count == 0, "kernels that do not load on the CPU accelerator:\n" + string.Join("\n", failures));
    }

    private static List<string> LoadEvery(GpuDevice gpu)
    {
        var failures = new List<string>();
        foreach (var k in Kernels())
        {
            try
            {
                bool auto = k.GetParameters().FirstOrDefault()?.ParameterType == typeof(Index1D);
                using var loaded = auto ? gpu.Accelerator.LoadAutoGroupedKernel(k) : gpu.Accelerator.LoadKernel(k);
            }
            catch (Exception e)
            {
                failures.Add($"{gpu} {k.DeclaringType!.Name}.{k.Name}: {(e.InnerException ?? e).GetBaseException().Message}");
            }
        }
        return failures;
    }

    private static void ExpKernel(Index1D i, ArrayView<float> x) => x[i] = MathF.Exp(x[i]);

    [Fact]
    public void AKernelCallingMathFExpIsCaughtHere()
    {
        // The failure this test exists for (seen on an H100): ILGPU's PTX backend has no float exp.
        using var context = Context.Create(b => b.Cuda());
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null);
        var kernel = typeof(PtxCompileTests).GetMethod(nameof(ExpKernel), BindingFlags.Static | BindingFlags.NonPublic)!;
        var e = Assert.ThrowsAny<Exception>(() => CompileToPtx(context, backend, kernel));
        Assert.Contains("ExpF", e.GetBaseException().Message + e.InnerException?.Message, StringComparison.Ordinal);
    }
}
