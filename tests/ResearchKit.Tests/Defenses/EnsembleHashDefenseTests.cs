using System.Reflection;
using ResearchKit.Attacks;
using ResearchKit.Defenses;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Defenses.EhdTestUtil;

namespace ResearchKit.Tests.Defenses;

/// <summary>Scores come from the routed member row by row, in order; the gradient path; the attacker's view; errors.</summary>
public class EnsembleHashDefenseTests
{
    private static void Close(float[] want, float[] got, string what, float tol = 1e-5f)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= tol * (1 + Math.Abs(want[i])), $"{what}[{i}]: want {want[i]:G9}, got {got[i]:G9}.");
    }

    /// <summary>Records the mode and grad state it runs under.</summary>
    private sealed class Recorder : Module<Tensor, Tensor>
    {
        public bool? SawTraining, SawGrad;
        public int Calls;
        public Recorder(int j) => RegisterModule("inner", TinyMember(j, 12, 3));
        protected override Tensor ForwardCore(Tensor input)
        {
            SawTraining = Training; SawGrad = GradMode.IsEnabled; Calls++;
            return Child<Module<Tensor, Tensor>>("inner").Forward(input);
        }
    }

    /// <summary>Returns a fixed (n, C) with the given C, to test the class-count check.</summary>
    private sealed class FixedClasses(int classes) : Module<Tensor, Tensor>
    {
        protected override Tensor ForwardCore(Tensor input) => Tensor.Zeros(input.Size(0), classes);
    }

    [Fact]
    public void Scores_AreTheRoutedMembersScores_RowByRow_InInputOrder()
    {
        var members = TinyMembers(3, features: 48);
        var ehd = new EnsembleHashDefense(members, DefenseKey.ForTesting(1));
        var x = RandomInputs(40, seed: 2, h: 4, w: 4);
        var routes = ehd.Route(x);
        for (int j = 0; j < 3; j++) Assert.Contains(j, routes);   // every member answers some rows: the scatter is exercised

        var s = ehd.Scores(x);
        Assert.Equal([40, 5], s.Shape.ToArray());
        var all = members.Select(m => { using var _ = Torch.NoGrad(); return m.Forward(x).ToArray(); }).ToArray();
        var got = s.ToArray();
        for (int i = 0; i < 40; i++)
        {
            var row = got.AsSpan(i * 5, 5).ToArray();
            Close(all[routes[i]].AsSpan(i * 5, 5).ToArray(), row, $"row {i} vs member {routes[i]} on the batch");
            using var _ = Torch.NoGrad();
            Close(members[routes[i]].Forward(Row(x, i)).ToArray(), row, $"row {i} vs member {routes[i]} alone");
            for (int j = 0; j < 3; j++)   // and not another member's scores
                if (j != routes[i]) Assert.NotEqual(all[j].AsSpan(i * 5, 5).ToArray(), row);
        }
        Close(got, ehd.Forward(x).ToArray(), "Forward vs Scores");
        Close(got, ehd.AsOracle().Scores(x).ToArray(), "oracle vs Scores");
    }

    [Fact]
    public void Scores_OfAnInputAlone_EqualItsRowInABatch()
    {
        var ehd = new EnsembleHashDefense(TinyMembers(4, 48), DefenseKey.ForTesting(3));
        var x = RandomInputs(12, seed: 4, h: 4, w: 4);
        var batch = ehd.Scores(x).ToArray();
        for (int i = 0; i < 12; i++) Close(batch.AsSpan(i * 5, 5).ToArray(), ehd.Scores(Row(x, i)).ToArray(), $"input {i}");
    }

    [Fact]
    public void Forward_IsDifferentiable_ThroughTheRoutedMemberOnly()
    {
        var members = TinyMembers(3, 48);
        var ehd = new EnsembleHashDefense(members, DefenseKey.ForTesting(5));
        var x = RandomInputs(16, seed: 6, h: 4, w: 4).RequiresGrad_();
        var w = Tensor.Randn([16, 5], new Generator(7));
        var grad = Autograd.Grad((ehd.Forward(x) * w).Sum(), x).ToArray();
        var routes = ehd.Route(x);
        for (int i = 0; i < 16; i++)
        {
            var xi = Row(x.Detach(), i).RequiresGrad_();
            var want = Autograd.Grad((members[routes[i]].Forward(xi) * Row(w, i)).Sum(), xi).ToArray();
            Close(want, grad.AsSpan(i * 48, 48).ToArray(), $"∂/∂x of row {i} (member {routes[i]})");
        }
    }

    [Fact]
    public void OraclePath_RunsMembersInEvalWithoutGrad_AndRestoresTheirModes()
    {
        var members = new[] { new Recorder(0), new Recorder(1), new Recorder(2) };
        var ehd = new EnsembleHashDefense(members, DefenseKey.ForTesting(8));
        ehd.Train();
        members[1].Eval();                 // mixed modes must come back as they were
        var x = RandomInputs(30, seed: 9, h: 2, w: 2);
        var s = ehd.AsOracle().Scores(x);
        Assert.False(s.RequiresGrad);
        foreach (var m in members.Where(m => m.Calls > 0)) { Assert.False(m.SawTraining); Assert.False(m.SawGrad); }
        Assert.True(members.Sum(m => m.Calls) >= 2);
        Assert.All(members, m => Assert.True(m.Calls <= 1));   // each member runs at most once per batch
        Assert.True(members[0].Training); Assert.False(members[1].Training); Assert.True(members[2].Training);
        Assert.All(members[0].Modules(), mod => Assert.True(mod.Training));   // the children too
    }

    [Fact]
    public void Oracle_ExposesScoresAndQueriesOnly_AndCountsInputs()
    {
        var ehd = new EnsembleHashDefense(TinyMembers(3, 48), DefenseKey.ForTesting(10));
        IScoreOracle oracle = ehd.AsOracle();
        var x = RandomInputs(7, seed: 11, h: 4, w: 4);
        Assert.Equal(0, oracle.Queries);
        oracle.Scores(x); oracle.Scores(Row(x, 0));
        Assert.Equal(8, oracle.Queries);
        Assert.Equal(0, ehd.AsOracle().Queries);                 // each view counts its own queries
        Assert.Throws<ArgumentException>(() => oracle.Scores(Tensor.Zeros(4)));
        Assert.Equal(8, oracle.Queries);                          // a rejected batch is not a query

        var type = oracle.GetType();
        Assert.False(type.IsVisible);                             // outside the kit it is only an IScoreOracle
        var publicMembers = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Select(m => m.Name).Where(n => n != ".ctor").OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(["Queries", "Scores", "ToString", "get_Queries"], publicMembers);
        var text = oracle.ToString()!;
        Assert.DoesNotContain(ehd.KeyFingerprint, text);
        Assert.DoesNotContain("k=", text);
        Assert.DoesNotContain("Sequential", text);
    }

    [Fact]
    public void Config_NamesEverySetting_AndTheKeyByFingerprintOnly()
    {
        var key = DefenseKey.ForTesting(12);
        var ehd = new EnsembleHashDefense(TinyMembers(3, 48), key, EhdInputEncoding.Float32, ["CE seed 0", "GML", "MMC"]);
        var c = ehd.Config;
        Assert.Equal(3, c["k"]);
        Assert.Equal("Float32", c["encoding"]);
        Assert.Equal("HMAC-SHA256", c["hash"]);
        Assert.Equal(new[] { "CE seed 0", "GML", "MMC" }, (string[])c["members"]!);
        Assert.Equal(key.Fingerprint, c["key_fingerprint"]);
        Assert.Equal(true, c["key_for_testing"]);
        // A different key or encoding is a different cached result.
        Assert.NotEqual(CanonicalJson.Serialize(c), CanonicalJson.Serialize(new EnsembleHashDefense(TinyMembers(3, 48), DefenseKey.ForTesting(13), EhdInputEncoding.Float32, ["CE seed 0", "GML", "MMC"]).Config));
        Assert.NotEqual(CanonicalJson.Serialize(c), CanonicalJson.Serialize(new EnsembleHashDefense(TinyMembers(3, 48), key, memberDescriptions: ["CE seed 0", "GML", "MMC"]).Config));
        Assert.Contains("k=3", ehd.ExtraRepr());
        Assert.Contains(key.Fingerprint, ehd.ToString());
    }

    [Fact]
    public void StateDict_HoldsTheMembersTensorsOnly()
    {
        var members = TinyMembers(3, 48);
        var ehd = new EnsembleHashDefense(members, DefenseKey.ForTesting(14));
        var sd = ehd.StateDict();
        var want = Enumerable.Range(0, 3).SelectMany(j => members[j].StateDict().Keys.Select(n => $"members.{j}.{n}")).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(want, sd.Keys.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(members.Sum(m => m.ParameterCount()), ehd.ParameterCount());
        Assert.Equal(3, ehd.K);
        Assert.Same(members[2], ehd.Members[2]);
    }

    [Fact]
    public void BadArguments_GetClearErrors()
    {
        var key = DefenseKey.ForTesting(15);
        var one = Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleHashDefense(TinyMembers(1, 48), key));
        Assert.Contains("k ≥ 2", one.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleHashDefense([], key));
        var m = TinyMember(0, 48);
        Assert.Contains("same object", Assert.Throws<ArgumentException>(() => new EnsembleHashDefense([m, m], key)).Message);
        Assert.Contains("descriptions", Assert.Throws<ArgumentException>(() => new EnsembleHashDefense(TinyMembers(2, 48), key, memberDescriptions: ["a"])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EhdRouter(key, 258));

        var ehd = new EnsembleHashDefense(TinyMembers(3, 48), key);
        Assert.Contains("Unsqueeze", Assert.Throws<ArgumentException>(() => ehd.Scores(Tensor.Rand([48], new Generator(1)))).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => ehd.Scores(Tensor.ZerosInt64(2, 48))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ehd.Scores(Tensor.Zeros(0, 3, 4, 4))).Message);
        var nan = RandomInputs(3, seed: 16, h: 4, w: 4).ToArray(); nan[60] = float.NaN;
        Assert.Contains("input 1", Assert.Throws<ArgumentException>(() => ehd.Route(Tensor.FromArray(nan, 3, 3, 4, 4))).Message);
        Assert.Equal(3, new EnsembleHashDefense(TinyMembers(3, 48), key, EhdInputEncoding.Float32).Route(Tensor.FromArray(nan, 3, 3, 4, 4)).Length);
    }

    [Fact]
    public void MembersWithDifferentClassCounts_AreRejectedOnceBothHaveAnswered()
    {
        var key = DefenseKey.ForTesting(17);
        var x = RandomInputs(40, seed: 18, h: 4, w: 4);
        var e = Assert.Throws<InvalidOperationException>(() => new EnsembleHashDefense([new FixedClasses(10), new FixedClasses(100)], key).Scores(x));
        Assert.Contains("10", e.Message); Assert.Contains("100", e.Message); Assert.Contains("same classes", e.Message);

        // Across calls: first a batch that only member 0 answers, then one that only member 1 answers.
        var ehd = new EnsembleHashDefense([new FixedClasses(10), new FixedClasses(100)], key);
        var routes = ehd.Route(x);
        int to0 = Array.IndexOf(routes, 0), to1 = Array.IndexOf(routes, 1);
        Assert.Equal([1, 10], ehd.Scores(Row(x, to0)).Shape.ToArray());
        Assert.Throws<InvalidOperationException>(() => ehd.Scores(Row(x, to1)));

        var bad = new EnsembleHashDefense([new Identity(), new Identity()], key);
        Assert.Contains("(n, C)", Assert.Throws<InvalidOperationException>(() => bad.Scores(x.Reshape(40, 3, 16))).Message);
    }
}
