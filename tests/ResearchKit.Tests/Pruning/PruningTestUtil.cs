using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Tests.Pruning;

/// <summary>Small models and reference implementations shared by the pruning tests.</summary>
internal static class PruningTestUtil
{
    /// <summary>A one-layer LSTM classifier shaped like the seq-MNIST model, scaled down.</summary>
    internal sealed class TinyLstm : Module<Tensor, Tensor>
    {
        public readonly Lstm Rnn;
        public readonly Linear Fc;

        public TinyLstm(Generator g, int input = 4, int hidden = 8, int classes = 3)
        {
            Rnn = RegisterModule("rnn", new Lstm(input, hidden, generator: g));
            Fc = RegisterModule("fc", new Linear(hidden, classes, generator: g));
        }

        protected override Tensor ForwardCore(Tensor x)
        {
            var (y, _, _) = Rnn.Forward(x);          // (T, B, H)
            return Fc.Forward(y.Select(0, y.Shape[0] - 1)); // last step
        }
    }

    /// <summary>A tiny LSTM language model: embedding, 2 LSTM layers, decoder.</summary>
    internal sealed class TinyLm : Module<Tensor, Tensor>
    {
        public readonly Embedding Encoder;
        public readonly Lstm Rnn;
        public readonly Linear Decoder;

        public TinyLm(Generator g, int vocab = 11, int dim = 6)
        {
            Encoder = RegisterModule("encoder", new Embedding(vocab, dim, generator: g));
            Rnn = RegisterModule("rnn", new Lstm(dim, dim, numLayers: 2, generator: g));
            Decoder = RegisterModule("decoder", new Linear(dim, vocab, generator: g));
        }

        protected override Tensor ForwardCore(Tensor x) => Decoder.Forward(Rnn.Forward(Encoder.Forward(x)).Output);
    }

    /// <summary>Algorithm 3 as written: raise t by ε from 0 until the fraction of |w| ≤ t reaches the objective.</summary>
    internal static (double Threshold, long Steps) ReferenceAlgorithm3(float[] magnitudes, double objective, double epsilon)
    {
        for (long k = 0; ; k++)
        {
            double t = k * epsilon;
            long count = 0;
            foreach (var a in magnitudes) if (a <= t) count++;
            if ((double)count / magnitudes.Length >= objective) return (t, k);
        }
    }

    internal static float[] Abs(IEnumerable<Tensor> ts)
    {
        var all = new List<float>();
        foreach (var t in ts) foreach (var v in t.ToArray()) all.Add(Math.Abs(v));
        return all.ToArray();
    }

    internal static Dictionary<string, Tensor> Params(Module m)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in m.NamedParameters()) d[n] = p;
        return d;
    }

    internal static bool IsPositiveZero(float v) => BitConverter.SingleToInt32Bits(v) == 0;
}
