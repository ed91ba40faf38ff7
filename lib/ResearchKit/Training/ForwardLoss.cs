using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>
/// A custom forward pass for <see cref="Trainer"/>: computes the scalar loss of a batch (and optionally the (N, C) logits
/// used for the training accuracy). Use it when the model is not a plain <c>Module&lt;Tensor, Tensor&gt;</c>, e.g. a
/// language model carrying its hidden state between BPTT windows.
/// </summary>
/// <param name="x">Batch inputs.</param>
/// <param name="y">Batch targets.</param>
/// <returns>The loss (one element, requiring grad) and the logits or null.</returns>
public delegate (Tensor Loss, Tensor? Logits) ForwardLoss(Tensor x, Tensor y);
