using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// Reference multi-layer (bidirectional) recurrent network built by unrolling LstmCell/GruCell/RnnCell over time with
/// plain tensor ops, so the fused module can be compared against it (values and gradients).
/// </summary>
internal sealed class RecurrentReference
{
    private readonly string _kind; // "lstm", "gru", "tanh", "relu"
    private readonly int _layers, _directions;

    /// <summary>One cell per layer·direction (index layer·D + dir), holding copies of the module's weights.</summary>
    public List<Module> Cells { get; } = new();

    public RecurrentReference(string kind, IReadOnlyList<IReadOnlyList<Tensor>> allWeights, int layers, bool bidirectional)
    {
        _kind = kind;
        _layers = layers;
        _directions = bidirectional ? 2 : 1;
        foreach (var w in allWeights)
        {
            int hidden = w[1].Size(1), input = w[0].Size(1);
            bool bias = w.Count == 4;
            Module cell = kind switch
            {
                "lstm" => new LstmCell(input, hidden, bias),
                "gru" => new GruCell(input, hidden, bias),
                _ => new RnnCell(input, hidden, bias, kind),
            };
            var sd = new Dictionary<string, Tensor> { ["weight_ih"] = w[0].Detach(), ["weight_hh"] = w[1].Detach() };
            if (bias) { sd["bias_ih"] = w[2].Detach(); sd["bias_hh"] = w[3].Detach(); }
            cell.LoadStateDict(sd);
            Cells.Add(cell);
        }
    }

    /// <summary>x is time-major [T, B, I]; states [L·D, B, H] or null. Returns y [T, B, D·H], h_n, c_n (LSTM only).</summary>
    public (Tensor Y, Tensor HN, Tensor? CN) Run(Tensor x, Tensor? h0, Tensor? c0)
    {
        int steps = x.Size(0), batch = x.Size(1);
        var input = x;
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (int layer = 0; layer < _layers; layer++)
        {
            var outs = new List<Tensor>();
            for (int dir = 0; dir < _directions; dir++)
            {
                int k = layer * _directions + dir;
                var cell = Cells[k];
                int hidden = cell.StateDict()["weight_hh"].Size(1);
                var h = h0 is null ? Tensor.Zeros(batch, hidden) : h0.Select(0, k);
                var c = c0 is null ? Tensor.Zeros(batch, hidden) : c0.Select(0, k);
                var ys = new Tensor[steps];
                for (int s = 0; s < steps; s++)
                {
                    int t = dir == 0 ? s : steps - 1 - s;
                    var xt = input.Select(0, t);
                    switch (cell)
                    {
                        case LstmCell l: (h, c) = l.Forward(xt, (h, c)); break;
                        case GruCell g: h = g.Forward(xt, h); break;
                        case RnnCell r: h = r.Forward(xt, h); break;
                    }
                    ys[t] = h;
                }
                outs.Add(Tensor.Stack(ys, 0));
                hs.Add(h);
                cs.Add(c);
            }
            input = outs.Count == 1 ? outs[0] : Tensor.Cat(outs, 2);
        }
        return (input, Tensor.Stack(hs, 0), _kind == "lstm" ? Tensor.Stack(cs, 0) : null);
    }

    /// <summary>Gradient of the cell parameter that corresponds to a module parameter name such as weight_hh_l1_reverse.</summary>
    public Tensor? GradOf(string moduleParamName)
    {
        // weight_ih_l{k}[_reverse] → cell index k·D + dir, cell name weight_ih
        var parts = moduleParamName.Split('_');
        string baseName = parts[0] + "_" + parts[1];
        int layer = int.Parse(parts[2][1..], System.Globalization.CultureInfo.InvariantCulture);
        int dir = parts.Length > 3 ? 1 : 0;
        return Cells[layer * _directions + dir].StateDict()[baseName].Grad;
    }
}
