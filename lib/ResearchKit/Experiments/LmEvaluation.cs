using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments;

/// <summary>Perplexity of a language model over a token stream, as word_language_model's <c>evaluate</c>.</summary>
public static class LmEvaluation
{
    /// <summary>
    /// Runs <paramref name="model"/> in eval mode (no dropout) under no-grad over <paramref name="tokens"/> batchified into
    /// <paramref name="batchSize"/> streams and windows of <paramref name="bptt"/>, carrying the hidden state from window to
    /// window, and returns the mean next-token negative log-likelihood (natural log) and its exponential, the perplexity.
    /// </summary>
    /// <param name="model">The language model (its mode is restored afterwards).</param>
    /// <param name="tokens">Token ids, e.g. <c>corpus.Valid</c>.</param>
    /// <param name="batchSize">Streams (10 in word_language_model).</param>
    /// <param name="bptt">Window length.</param>
    /// <param name="maxTokens">Use only this many leading tokens (null: all).</param>
    /// <returns>Mean NLL per predicted token, perplexity exp(NLL), and the number of predicted tokens.</returns>
    /// <exception cref="ArgumentException">Too few tokens for <paramref name="batchSize"/> streams (see <see cref="LmBatcher"/>).</exception>
    public static (double MeanNll, double Perplexity, long Tokens) Evaluate(MediumLstmLm model, int[] tokens, int batchSize, int bptt, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (maxTokens is int m && m < tokens.Length) tokens = tokens[..m];
        var batcher = new LmBatcher(tokens, batchSize, bptt);
        bool wasTraining = model.Training;
        var device = model.DeviceOf();   // the windows go where the model is
        model.Eval();
        double nll = 0;
        long count = 0;
        try
        {
            using (Torch.NoGrad())
            {
                (Tensor H, Tensor C)? hidden = null;
                foreach (var w in batcher.Windows())
                {
                    var (logits, h) = model.Forward(w.Inputs.To(device), hidden);
                    hidden = h;
                    nll += F.CrossEntropy(logits.Reshape(-1, model.VocabSize), w.Targets.To(device).Reshape(-1), reduction: "sum").Item();
                    count += w.Targets.Numel;
                }
            }
        }
        finally { model.Train(wasTraining); }
        double mean = nll / count;
        return (mean, Training.Metrics.Perplexity(mean), count);
    }
}
