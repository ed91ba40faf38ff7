using System.Globalization;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// A 2-D size argument (kernel size, stride, padding, dilation) that accepts an <c>int</c> or an <c>(int, int)</c>
/// tuple, like PyTorch's <c>_pair</c>: <c>F.Conv2d(x, w, stride: 2, padding: (1, 0))</c>.
/// </summary>
/// <remarks>
/// It remembers whether it was written as a single int, so module reprs print <c>kernel_size=2</c> or
/// <c>kernel_size=(2, 2)</c> exactly as PyTorch does for the same call. Equality compares only the two values.
/// </remarks>
public readonly struct Pair : IEquatable<Pair>
{
    /// <summary>Creates a pair from two values (printed as a tuple).</summary>
    public Pair(int h, int w)
    {
        H = h;
        W = w;
        IsScalar = false;
    }

    private Pair(int v, bool scalar)
    {
        H = v;
        W = v;
        IsScalar = scalar;
    }

    /// <summary>First (height) value.</summary>
    public int H { get; }

    /// <summary>Second (width) value.</summary>
    public int W { get; }

    /// <summary>True when created from a single int (PyTorch prints it as that int).</summary>
    public bool IsScalar { get; }

    /// <summary>Both values equal to <paramref name="v"/>, printed as a single int.</summary>
    public static implicit operator Pair(int v) => new(v, true);

    /// <summary>From a tuple <c>(h, w)</c>.</summary>
    public static implicit operator Pair((int H, int W) t) => new(t.H, t.W);

    /// <summary>Deconstructs into <c>(h, w)</c>.</summary>
    public void Deconstruct(out int h, out int w)
    {
        h = H;
        w = W;
    }

    /// <summary>Python repr as given: <c>2</c> for a scalar, <c>(2, 3)</c> for a tuple.</summary>
    public override string ToString() => IsScalar ? H.ToString(CultureInfo.InvariantCulture) : ToTupleString();

    /// <summary>Python tuple repr <c>(h, w)</c>, as PyTorch prints conv arguments after <c>_pair</c>.</summary>
    public string ToTupleString() => string.Create(CultureInfo.InvariantCulture, $"({H}, {W})");

    /// <inheritdoc/>
    public bool Equals(Pair other) => H == other.H && W == other.W;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Pair p && Equals(p);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(H, W);

    /// <summary>Value equality (the scalar/tuple spelling is ignored).</summary>
    public static bool operator ==(Pair a, Pair b) => a.Equals(b);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Pair a, Pair b) => !a.Equals(b);
}
