using ResearchKit.Tensors;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>Devices and helpers for the side-channel tests.</summary>
internal static class SideChannelTestUtil
{
    /// <summary>A device whose logits are its inputs (N, C): the truth is known exactly, no model in the way.</summary>
    public static RecordingOracle IdentityDevice() => new(x => x.Clone());

    /// <summary>Logits (N, C) uniform in [lo, hi).</summary>
    public static Tensor RandomLogits(int n, int c, long seed, float lo = -3f, float hi = 3f) =>
        Tensor.Rand([n, c], new Generator(seed)) * (hi - lo) + lo;

    /// <summary>Root mean square of (a − b) over all elements.</summary>
    public static double Rmse(Tensor a, Tensor b)
    {
        var x = a.ToArray(); var y = b.ToArray();
        double ss = 0;
        for (int i = 0; i < x.Length; i++) ss += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        return Math.Sqrt(ss / x.Length);
    }
}
