
namespace ResearchKit.Tensors;

/// <summary>
/// The <c>torch.*</c> namespace in one static class: factories, global switches and free functions.
/// Use <c>using static ResearchKit.Tensors.Torch;</c> in notebooks to write <c>Zeros(2, 3)</c>, <c>Cat(...)</c>.
/// </summary>
public static class Torch
{
    /// <summary>Disables recording of operations until the scope is disposed (<c>with torch.no_grad():</c>).</summary>
    public static GradMode.Scope NoGrad() => GradMode.Set(false);

    /// <summary>Re-enables recording inside a <see cref="NoGrad"/> scope (<c>torch.enable_grad()</c>).</summary>
    public static GradMode.Scope EnableGrad() => GradMode.Set(true);

    /// <summary>Seeds the default generator (<c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    /// <summary>Sets the number of threads used by kernels (<c>torch.set_num_threads</c>).</summary>
    public static void SetNumThreads(int threads) => Kernels.Parallelism.Threads = threads;

    /// <inheritdoc cref="Tensor.Zeros(int[])"/>
    public static Tensor Zeros(params int[] shape) => Tensor.Zeros(shape);
    /// <inheritdoc cref="Tensor.Ones(int[])"/>
    public static Tensor Ones(params int[] shape) => Tensor.Ones(shape);
    /// <inheritdoc cref="Tensor.Zeros(int[], Device)"/>
    public static Tensor Zeros(int[] shape, Device device) => Tensor.Zeros(shape, device);
    /// <inheritdoc cref="Tensor.Ones(int[], Device)"/>
    public static Tensor Ones(int[] shape, Device device) => Tensor.Ones(shape, device);
    /// <inheritdoc cref="Tensor.Full(int[], float, Device?)"/>
    public static Tensor Full(int[] shape, float value, Device? device = null) => Tensor.Full(shape, value, device);
    /// <inheritdoc cref="Tensor.Rand(int[], Generator?, Device?)"/>
    public static Tensor Rand(params int[] shape) => Tensor.Rand(shape);
    /// <inheritdoc cref="Tensor.Randn(int[], Generator?, Device?)"/>
    public static Tensor Randn(params int[] shape) => Tensor.Randn(shape);
    /// <inheritdoc cref="Tensor.FromArray(float[], int[])"/>
    public static Tensor TensorOf(float[] data, params int[] shape) => Tensor.FromArray(data, shape);
    /// <inheritdoc cref="Tensor.Arange(float, float, float, Device?)"/>
    public static Tensor Arange(float start, float end, float step = 1f, Device? device = null) => Tensor.Arange(start, end, step, device);
    /// <inheritdoc cref="Tensor.Cat(IReadOnlyList{Tensor}, int)"/>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Tensor.Cat(tensors, dim);
    /// <inheritdoc cref="Tensor.Stack(IReadOnlyList{Tensor}, int)"/>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0) => Tensor.Stack(tensors, dim);
    /// <inheritdoc cref="Tensor.Where(Tensor, Tensor, Tensor)"/>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Tensor.Where(condition, a, b);
    /// <inheritdoc cref="Tensor.Maximum(Tensor, Tensor)"/>
    public static Tensor Maximum(Tensor a, Tensor b) => Tensor.Maximum(a, b);
    /// <inheritdoc cref="Tensor.Minimum(Tensor, Tensor)"/>
    public static Tensor Minimum(Tensor a, Tensor b) => Tensor.Minimum(a, b);
    /// <summary>Matrix product (<c>torch.matmul</c>).</summary>
    public static Tensor Matmul(Tensor a, Tensor b) => a.Matmul(b);
}
