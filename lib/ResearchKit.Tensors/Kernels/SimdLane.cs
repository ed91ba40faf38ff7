using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Minimal SIMD-width abstraction so each pointwise recurrent kernel is written once and the JIT specialises it
/// for Vector512, Vector256 and a scalar tail (struct generics are compiled per instantiation, so no overhead).
/// </summary>
internal interface ISimdLane<TSelf> where TSelf : struct, ISimdLane<TSelf>
{
    /// <summary>Floats per lane.</summary>
    static abstract int Count { get; }
    /// <summary>Whether this width is hardware accelerated (scalar always is).</summary>
    static abstract bool IsAccelerated { get; }
    static abstract TSelf Load(ref float origin, nint index);
    static abstract void Store(TSelf value, ref float origin, nint index);
    static abstract TSelf Splat(float value);
    /// <summary><paramref name="value"/> where <paramref name="key"/> &gt; 0, else 0 (ReLU backward on the output).</summary>
    static abstract TSelf WherePositive(TSelf key, TSelf value);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
}

/// <summary>512-bit lane.</summary>
internal readonly struct Lane512 : ISimdLane<Lane512>
{
    private readonly Vector512<float> _v;
    private Lane512(Vector512<float> v) => _v = v;
    public static int Count => Vector512<float>.Count;
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Load(ref float origin, nint index) => new(Vector512.LoadUnsafe(ref Unsafe.Add(ref origin, index)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane512 value, ref float origin, nint index) => value._v.StoreUnsafe(ref Unsafe.Add(ref origin, index));
    public static Lane512 Splat(float value) => new(Vector512.Create(value));
    public static Lane512 WherePositive(Lane512 key, Lane512 value) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(key._v, Vector512<float>.Zero), value._v, Vector512<float>.Zero));
    public static Lane512 operator +(Lane512 a, Lane512 b) => new(a._v + b._v);
    public static Lane512 operator -(Lane512 a, Lane512 b) => new(a._v - b._v);
    public static Lane512 operator *(Lane512 a, Lane512 b) => new(a._v * b._v);
}

/// <summary>256-bit lane.</summary>
internal readonly struct Lane256 : ISimdLane<Lane256>
{
    private readonly Vector256<float> _v;
    private Lane256(Vector256<float> v) => _v = v;
    public static int Count => Vector256<float>.Count;
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Load(ref float origin, nint index) => new(Vector256.LoadUnsafe(ref Unsafe.Add(ref origin, index)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane256 value, ref float origin, nint index) => value._v.StoreUnsafe(ref Unsafe.Add(ref origin, index));
    public static Lane256 Splat(float value) => new(Vector256.Create(value));
    public static Lane256 WherePositive(Lane256 key, Lane256 value) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(key._v, Vector256<float>.Zero), value._v, Vector256<float>.Zero));
    public static Lane256 operator +(Lane256 a, Lane256 b) => new(a._v + b._v);
    public static Lane256 operator -(Lane256 a, Lane256 b) => new(a._v - b._v);
    public static Lane256 operator *(Lane256 a, Lane256 b) => new(a._v * b._v);
}

/// <summary>Scalar lane used for the tail.</summary>
internal readonly struct LaneScalar : ISimdLane<LaneScalar>
{
    private readonly float _v;
    private LaneScalar(float v) => _v = v;
    public static int Count => 1;
    public static bool IsAccelerated => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneScalar Load(ref float origin, nint index) => new(Unsafe.Add(ref origin, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneScalar value, ref float origin, nint index) => Unsafe.Add(ref origin, index) = value._v;
    public static LaneScalar Splat(float value) => new(value);
    public static LaneScalar WherePositive(LaneScalar key, LaneScalar value) => new(key._v > 0f ? value._v : 0f);
    public static LaneScalar operator +(LaneScalar a, LaneScalar b) => new(a._v + b._v);
    public static LaneScalar operator -(LaneScalar a, LaneScalar b) => new(a._v - b._v);
    public static LaneScalar operator *(LaneScalar a, LaneScalar b) => new(a._v * b._v);
}
