namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Optimizer state of one parameter (<c>optimizer.state[p]</c>): the step count and named buffers such as
/// <c>exp_avg</c> or <c>momentum_buffer</c>. Buffers are allocated once, on the first step, and updated in place.
/// </summary>
public sealed class ParamState
{
    // A handful of named buffers per parameter: a list keeps insertion order (state-dict order) and lookups cheap.
    private readonly List<KeyValuePair<string, Tensor>> _buffers = new(3);

    /// <summary>Number of steps taken for this parameter (PyTorch's <c>state['step']</c>).</summary>
    public long Step { get; internal set; }

    /// <summary>A buffer by name, or null when absent.</summary>
    public Tensor? this[string name]
    {
        get
        {
            for (int i = 0; i < _buffers.Count; i++)
                if (string.Equals(_buffers[i].Key, name, StringComparison.Ordinal)) return _buffers[i].Value;
            return null;
        }
    }

    /// <summary>The buffers in creation order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Buffers => _buffers;

    /// <summary>The buffer <paramref name="name"/>, created as zeros shaped like <paramref name="like"/> when absent.</summary>
    internal Tensor GetOrZeros(string name, Tensor like) => this[name] ?? Add(name, Tensor.ZerosLike(like));

    /// <summary>Stores (or replaces) a buffer.</summary>
    internal Tensor Add(string name, Tensor buffer)
    {
        for (int i = 0; i < _buffers.Count; i++)
            if (string.Equals(_buffers[i].Key, name, StringComparison.Ordinal)) { _buffers[i] = new(name, buffer); return buffer; }
        _buffers.Add(new(name, buffer));
        return buffer;
    }
}
