using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Defenses;

/// <summary>
/// The Ensemble Hash Defense (EHD; thesis §6.4, PROTOCOLS §3): k ≥ 2 models of similar accuracy, of which exactly one
/// scores each input, chosen by a keyed hash of the input (<see cref="EhdRouter"/>: popcount(HMAC-SHA256(key, bytes)) mod k).
/// </summary>
/// <remarks>
/// <para><b>Defender side</b> (this class): <see cref="K"/>, <see cref="Members"/> and <see cref="Route"/> for analysis and
/// figures. <see cref="Scores"/> is the deployed inference (members in eval mode, no graph); <see cref="Module{TIn, TOut}.Forward"/>
/// is the same computation in the members' current mode and differentiable, so a white-box attack's gradient flows
/// through the member each input is routed to (the routes themselves are piecewise constant and carry no gradient).</para>
/// <para><b>Attacker side</b>: <see cref="AsOracle"/>, an <see cref="IScoreOracle"/> that exposes scores and the query
/// count only, never k, the members, the routes or the key.</para>
/// <para>Cost: one hash per input, then the batch is grouped by route, each member runs once on its group, and the rows
/// are put back in input order. Members may be CE, GML or MMC networks whose scores have different scales (the thesis'
/// §6.5.3 ensemble); each row is simply its own member's scores. All must score the same C classes.</para>
/// <para>The key is never a parameter or buffer: the state dict holds the members' tensors only (<c>members.{j}.…</c>),
/// and <see cref="Module.ToString"/>, <see cref="Config"/> and the oracle show the key's fingerprint at most.</para>
/// <para>Shape: inputs (N, …) Float32 in [0, 1] (the uint8 encoding clamps before hashing, the members see the values
/// as given), N ≥ 1; output (N, C).</para>
/// </remarks>
public sealed class EnsembleHashDefense : Module<Tensor, Tensor>
{
    private const string MembersName = "members";
    private readonly EhdRouter _router;
    private readonly string[] _descriptions;
    private readonly bool _keyForTesting;
    private int _classes = -1;       // C, once a member has answered
    private int _classesFrom = -1;   // the member that set it (named in the mismatch error)

    /// <summary>Assembles the defense.</summary>
    /// <param name="members">The k ≥ 2 models, distinct objects; each maps (n, …) inputs to (n, C) scores.</param>
    /// <param name="key">The defender's secret (<see cref="DefenseKey.LoadOrCreate"/> for experiments).</param>
    /// <param name="encoding">How inputs become hashed bytes (default uint8, see <see cref="EhdInputEncoding"/>).</param>
    /// <param name="memberDescriptions">One line per member for <see cref="Config"/> (e.g. "CE seed 0, run 1a2b…"); by
    /// default the type and parameter count, which do not tell two trainings apart, so pass them for cached results.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 members.</exception>
    /// <exception cref="ArgumentException">A null or repeated member, or a description count that is not k.</exception>
    public EnsembleHashDefense(IReadOnlyList<Module<Tensor, Tensor>> members, DefenseKey key,
        EhdInputEncoding encoding = EhdInputEncoding.Uint8, IReadOnlyList<string>? memberDescriptions = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(key);
        if (members.Count < 2)
            throw new ArgumentOutOfRangeException(nameof(members), members.Count,
                $"EnsembleHashDefense: got {members.Count} member(s); the defense needs k ≥ 2 models of similar accuracy (e.g. the same network trained from different seeds).");
        for (int j = 0; j < members.Count; j++)
        {
            if (members[j] is null) throw new ArgumentException($"EnsembleHashDefense: member {j} is null.", nameof(members));
            for (int i = 0; i < j; i++)
                if (ReferenceEquals(members[i], members[j]))
                    throw new ArgumentException($"EnsembleHashDefense: member {j} is the same object as member {i}; pass k distinct models (an input routed to either would get the same answer).", nameof(members));
        }
        if (memberDescriptions is not null && memberDescriptions.Count != members.Count)
            throw new ArgumentException($"EnsembleHashDefense: {memberDescriptions.Count} member descriptions for {members.Count} members; give one per member or none.", nameof(memberDescriptions));

        _router = new EhdRouter(key, members.Count, encoding);
        _keyForTesting = key.IsForTesting;
        _descriptions = memberDescriptions?.ToArray()
            ?? members.Select(m => $"{m.GetType().Name} ({m.ParameterCount()} parameters)").ToArray();
        RegisterModule(MembersName, new ModuleList<Module<Tensor, Tensor>>([.. members]));
    }

    /// <summary>Number of members k.</summary>
    public int K => _router.K;

    /// <summary>The members, in route order (member j answers the inputs routed to j).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Members => Child<ModuleList<Module<Tensor, Tensor>>>(MembersName);

    /// <summary>How inputs become hashed bytes.</summary>
    public EhdInputEncoding Encoding => _router.Encoding;

    /// <summary>The key's public fingerprint (<see cref="DefenseKey.Fingerprint"/>).</summary>
    public string KeyFingerprint => _router.KeyFingerprint;

    /// <summary>The member that answers each input of the batch (N, …), for analysis; attackers never see this.</summary>
    /// <exception cref="ArgumentException">Not a Float32 batch, or NaN under the uint8 encoding.</exception>
    public int[] Route(Tensor inputs) => _router.Route(inputs);

    /// <summary>
    /// The deployed inference: scores (N, C), each row from the member its input is routed to, with every member in
    /// eval mode and no autograd graph. The members' train/eval modes are restored afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">Bad input shape or dtype, an empty batch, or NaN under uint8.</exception>
    /// <exception cref="InvalidOperationException">A member returned something other than (n, C) with the common C.</exception>
    public Tensor Scores(Tensor inputs)
    {
        var modules = Modules().ToArray();    // pre-order: restoring parents first, then children, gives back every flag
        var modes = modules.Select(m => m.Training).ToArray();
        using var noGrad = Torch.NoGrad();
        Eval();
        try { return Forward(inputs); }
        finally
        {
            for (int i = 0; i < modules.Length; i++)
                if (modules[i].Training != modes[i]) modules[i].Train(modes[i]);
        }
    }

    /// <summary>
    /// The attacker's view: a fresh <see cref="IScoreOracle"/> (its own query count, from 0) whose <c>Scores</c> are
    /// <see cref="Scores"/>, and which exposes nothing else (no k, members, routes or key).
    /// </summary>
    public IScoreOracle AsOracle() => new EhdScoreOracle(this);

    /// <summary>
    /// The settings that decide the outputs, for cached results: k, encoding, hash, selection rule, member descriptions
    /// and the key's fingerprint (never the key).
    /// </summary>
    public IReadOnlyDictionary<string, object?> Config => new Dictionary<string, object?>
    {
        ["defense"] = "EHD",
        ["k"] = K,
        ["encoding"] = Encoding.ToString(),
        ["hash"] = EhdRouter.HashName,
        ["selection"] = "popcount(digest) mod k",
        ["members"] = _descriptions.ToArray(),
        ["key_fingerprint"] = KeyFingerprint,
        ["key_for_testing"] = _keyForTesting,
    };

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"k={K}, encoding={Encoding}, hash={EhdRouter.HashName}, select=popcount mod k, key_fingerprint={KeyFingerprint}";

    /// <summary>Routes, runs each member once on its group, and scatters the rows back in input order (differentiable).</summary>
    protected override Tensor ForwardCore(Tensor inputs)
    {
        EhdRouter.CheckBatch(inputs);
        int n = inputs.Size(0);
        if (n == 0)
            throw new ArgumentException($"EnsembleHashDefense: the batch is empty (shape {inputs.Shape}); pass at least one input.", nameof(inputs));
        var routes = _router.Route(inputs);
        var groups = new List<long>[K];
        for (int j = 0; j < K; j++) groups[j] = [];
        for (int i = 0; i < n; i++) groups[routes[i]].Add(i);

        var members = Members;
        var outputs = new List<Tensor>(K);
        var order = new List<long>(n);   // input row of each row of the concatenated outputs
        for (int j = 0; j < K; j++)
        {
            var g = groups[j];
            if (g.Count == 0) continue;
            // Rows of a group are ascending, so a group holding the whole batch is the batch itself.
            var x = g.Count == n ? inputs : inputs.IndexSelect(0, Tensor.FromArray(g.ToArray(), g.Count));
            var y = members[j].Forward(x);
            CheckOutput(j, y, g.Count);
            outputs.Add(y);
            order.AddRange(g);
        }
        if (outputs.Count == 1) return outputs[0];
        var inverse = new long[n];
        for (int p = 0; p < n; p++) inverse[order[p]] = p;
        return Tensor.Cat(outputs, 0).IndexSelect(0, Tensor.FromArray(inverse, n));
    }

    private void CheckOutput(int member, Tensor y, int rows)
    {
        if (y.Dim != 2 || y.Size(0) != rows)
            throw new InvalidOperationException(
                $"EnsembleHashDefense: member {member} ({_descriptions[member]}) returned shape {y.Shape} for {rows} input(s); members must return scores (n, C), one row per input.");
        int c = y.Size(1);
        if (_classes < 0) { _classes = c; _classesFrom = member; return; }
        if (c != _classes)
            throw new InvalidOperationException(
                $"EnsembleHashDefense: member {member} ({_descriptions[member]}) scores {c} classes but member {_classesFrom} ({_descriptions[_classesFrom]}) scored {_classes}; all members must score the same classes.");
    }
}
