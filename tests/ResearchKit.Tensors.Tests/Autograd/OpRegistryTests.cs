using System.Reflection;
using System.Runtime.ExceptionServices;
using ResearchKit.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// First- and second-order gradient checks over every op of <see cref="OpRegistry"/>, plus the test that keeps the
/// registry complete.
/// </summary>
public class OpRegistryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Ops whose createGraph backward is currently wrong (silently wrong values, or a graph cut) instead of being
    /// differentiable or throwing NotSupportedException naming the op. Their test asserts the gap still exists; when a
    /// fix lands the test fails with "remove from the list" — delete the entry then.
    /// </summary>
    public static readonly HashSet<string> KnownSecondOrderGaps =
    [
    ];

    /// <summary>Ops whose first-order backward fails the sharp check: engine bugs, same protocol as above.</summary>
    public static readonly HashSet<string> KnownFirstOrderBugs =
    [
    ];

    /// <summary>
    /// Public members returning tensors that are deliberately not in the registry, with why. Everything else that
    /// returns a Tensor and takes one must be registered.
    /// </summary>
    private static readonly Dictionary<string, string> Excluded = new()
    {
        // Integer or boolean results: nothing to differentiate.
        ["Functional.OneHot"] = "int64 one-hot of indices",
        ["Functional.DeviceOneHot"] = "float one-hot of device labels (a constant of the graph, no gradient)",
        ["Tensor.Argmax"] = "indices", ["Tensor.Argmin"] = "indices", ["Tensor.Argsort"] = "indices",
        ["Tensor.Long"] = "int64 conversion",
        ["Tensor.Eq"] = "comparison", ["Tensor.Ne"] = "comparison", ["Tensor.Lt"] = "comparison",
        ["Tensor.Le"] = "comparison", ["Tensor.Gt"] = "comparison", ["Tensor.Ge"] = "comparison",
        // Piecewise constant: zero gradient almost everywhere, no backward recorded (as in PyTorch).
        ["Tensor.Floor"] = "piecewise constant", ["Tensor.Ceil"] = "piecewise constant", ["Tensor.Round"] = "piecewise constant",
        ["Tensor.Trunc"] = "piecewise constant", ["Tensor.Sign"] = "piecewise constant", ["Tensor.FloorDivide"] = "piecewise constant",
        ["Tensor.Bernoulli"] = "random sample; the probabilities get no gradient",
        // Values independent of the input (only its shape is used).
        ["Tensor.ZerosLike"] = "creation", ["Tensor.OnesLike"] = "creation", ["Tensor.FullLike"] = "creation",
        // In-place updates for optimizers and buffers, documented as outside autograd.
        ["Tensor.Add_"] = "in-place", ["Tensor.Sub_"] = "in-place", ["Tensor.Mul_"] = "in-place", ["Tensor.Div_"] = "in-place",
        ["Tensor.Clamp_"] = "in-place", ["Tensor.Fill_"] = "in-place", ["Tensor.Zero_"] = "in-place", ["Tensor.CopyFrom"] = "in-place",
        // Graph bookkeeping, not ops.
        ["Tensor.Detach"] = "cuts the graph by definition",
        ["Tensor.To"] = "device move: itself on the CPU; its gradient (back to the source device) is checked in ResearchKit.Gpu.Tests.DeviceTensorTests",
        ["Tensor.Cpu"] = "To(Device.Cpu)", ["Tensor.RequiresGrad_"] = "returns this",
        ["Tensor.RetainGrad"] = "returns this", ["Tensor.get_Grad"] = "accessor of the accumulated gradient",
    };

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var n in OpRegistry.Cases.Keys) d.Add(n);
        return d;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void FirstOrder(string name)
    {
        var c = OpRegistry.Cases[name];
        var (inputs, fn) = c.Make();
        var failure = Capture(() => GradCheck.Check(fn, inputs, c.Eps));
        Judge(name, failure, KnownFirstOrderBugs, nameof(KnownFirstOrderBugs));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SecondOrder(string name)
    {
        var c = OpRegistry.Cases[name];
        var (inputs, fn) = c.Make();
        var failure = Capture(() => GradGrad(c, inputs, fn));
        // The outcome line is what the known-gap list is built from (run with a detailed logger to see it).
        output.WriteLine($"second-order {name}: {(failure is null ? "ok" : failure.Message)}");
        Judge(name, failure, KnownSecondOrderGaps, nameof(KnownSecondOrderGaps));
    }

    /// <summary>Correct second derivatives, or a NotSupportedException that names the op; anything else is a failure.</summary>
    private void GradGrad(OpCase c, Tensor[] inputs, Func<Tensor[], Tensor> fn)
    {
        try { GradCheck.CheckSecondOrder(fn, inputs, c.Eps); }
        catch (NotSupportedException e) when (NamesOp(e.Message, c)) { output.WriteLine($"second-order {c.Name}: conforms by NotSupportedException: {e.Message}"); }
        catch (NotSupportedException e)
        {
            throw new Xunit.Sdk.XunitException($"NotSupportedException does not name the op (expected one of {string.Join(", ", OpNames(c))}): {e.Message}");
        }
    }

    private static IEnumerable<string> OpNames(OpCase c) => c.Covers.Select(s => s[(s.LastIndexOf('.') + 1)..]).Append(c.Name);

    private static string Normalize(string s) => new(s.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());

    private static bool NamesOp(string message, OpCase c)
    {
        var m = Normalize(message);
        return OpNames(c).Any(n => m.Contains(Normalize(n.Replace("op_", ""))));
    }

    private static Exception? Capture(Action a)
    {
        try { a(); return null; }
        catch (Exception e) { return e; }
    }

    private static void Judge(string name, Exception? failure, HashSet<string> known, string listName)
    {
        if (known.Contains(name))
        {
            if (failure is null)
                throw new Xunit.Sdk.XunitException($"'{name}' now passes: remove it from {listName}.");
            return; // still failing as recorded
        }
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    [Fact]
    public void KnownListProtocol_AnEntryThatNowPasses_FailsWithRemoveFromTheList()
    {
        var e = Assert.Throws<Xunit.Sdk.XunitException>(() => Judge("relu", null, ["relu"], "KnownSecondOrderGaps"));
        Assert.Contains("remove it from KnownSecondOrderGaps", e.Message);
        Judge("relu", new InvalidOperationException("still wrong"), ["relu"], "KnownSecondOrderGaps"); // a listed failure is tolerated
        var u = Assert.Throws<InvalidOperationException>(() => Judge("exp", new InvalidOperationException("wrong"), ["relu"], "KnownSecondOrderGaps"));
        Assert.Equal("wrong", u.Message); // an unlisted failure surfaces unchanged
    }

    [Fact]
    public void KnownLists_NameRegisteredOps()
    {
        foreach (var n in KnownSecondOrderGaps.Concat(KnownFirstOrderBugs))
            Assert.True(OpRegistry.Cases.ContainsKey(n), $"'{n}' is listed as a known failure but is not in the registry.");
    }

    /// <summary>Public methods of Tensor and Functional that return tensors and take one (instance methods take `this`).</summary>
    private static IEnumerable<string> PublicTensorOps()
    {
        foreach (var type in new[] { typeof(Tensor), typeof(ResearchKit.Tensors.Nn.Functional) })
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
                if (ReturnsTensor(m.ReturnType) && (!m.IsStatic || m.GetParameters().Any(p => TakesTensor(p.ParameterType))))
                    yield return $"{type.Name}.{m.Name}";
    }

    private static bool ReturnsTensor(Type t) =>
        t == typeof(Tensor) || t == typeof(Tensor[]) ||
        (t.IsGenericType && t.FullName!.StartsWith("System.ValueTuple") && t.GetGenericArguments().Any(ReturnsTensor));

    private static bool TakesTensor(Type t) =>
        t == typeof(Tensor) || t == typeof(Tensor[]) || (t.IsGenericType && t.GetGenericArguments().Any(TakesTensor)) ||
        (Nullable.GetUnderlyingType(t) is { } u && TakesTensor(u));

    [Fact]
    public void EveryPublicOp_IsRegisteredOrExcluded()
    {
        var covered = OpRegistry.Cases.Values.SelectMany(c => c.Covers).ToHashSet();
        var ops = PublicTensorOps().Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        var missing = ops.Where(o => !covered.Contains(o) && !Excluded.ContainsKey(o)).ToList();
        Assert.True(missing.Count == 0, "Public ops neither in OpRegistry nor in the exclusion list: " + string.Join(", ", missing));
        // Stale entries would let a renamed op slip through unnoticed.
        var stale = Excluded.Keys.Concat(covered.Where(c => c.Contains('.'))).Where(k => !ops.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "Registry covers or exclusions name members that are not public tensor ops: " + string.Join(", ", stale));
        Assert.Empty(Excluded.Keys.Intersect(covered));
    }
}
