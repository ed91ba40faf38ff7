namespace ResearchKit.Tensors;

/// <summary>One place for the engine's error messages, so they name the op, the shapes and the fix.</summary>
internal static class ThrowHelper
{
    public static ArgumentException ShapeMismatch(string op, Tensor a, Tensor b, string? hint = null) =>
        new($"{op}: shape mismatch between {a.Shape} and {b.Shape}." + (hint is null ? "" : " " + hint));

    public static ArgumentException Rank(string op, Tensor t, string expected) =>
        new($"{op}: expected {expected}, got a tensor of shape {t.Shape}.");

    public static void RequireFloat(string op, Tensor t)
    {
        if (t.DType != DType.Float32) throw new ArgumentException($"{op}: expected a Float32 tensor, got Int64 of shape {t.Shape}; call .Float() first.");
    }

    public static void RequireInt64(string op, Tensor t, string what)
    {
        if (t._l is not null) return;
        if (!t.Device.IsCpu) throw new ArgumentException($"{op}: {what} are on {t.Device}, and {op} runs on the CPU only; call .To(Device.Cpu) first.");
        throw new ArgumentException($"{op}: {what} must be an Int64 tensor of indices, got Float32 of shape {t.Shape}; call .Long() first.");
    }
}
