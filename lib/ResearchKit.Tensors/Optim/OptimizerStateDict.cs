namespace ResearchKit.Tensors.Optim;

/// <summary>
/// An optimizer checkpoint in safetensors-friendly form (PyTorch's <c>optimizer.state_dict()</c>).
/// </summary>
/// <param name="State">
/// State tensors keyed <c>state.{paramIndex}.{name}</c> (e.g. <c>state.0.exp_avg</c>); the step count is a 0-d tensor
/// <c>state.{i}.step</c> (Float32 for Adam/AdamW as in PyTorch 1.13, Int64 for RMSprop; SGD has none).
/// Parameter indices count through all groups in order. The tensors are copies.
/// </param>
/// <param name="ParamGroups">
/// JSON array with one object per group, like PyTorch's <c>param_groups</c>: the options (<c>lr</c>, <c>betas</c>,
/// <c>eps</c>, <c>weight_decay</c>, <c>momentum</c>, flags as booleans, <c>initial_lr</c> when a scheduler set it)
/// and <c>params</c>, the parameter indices. Store it, e.g., in the safetensors metadata.
/// </param>
public sealed record OptimizerStateDict(Dictionary<string, Tensor> State, string ParamGroups);
