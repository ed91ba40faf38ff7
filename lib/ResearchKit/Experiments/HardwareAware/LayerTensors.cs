namespace ResearchKit.Experiments.HardwareAware;

/// <summary>One convolution or linear layer of a model: its weights and the inputs it received (flattened, row-major).</summary>
/// <param name="Path">The layer's module path, e.g. "3" or "features.conv1".</param>
/// <param name="Kind">"Conv2d" or "Linear".</param>
/// <param name="Weights">The layer's weights.</param>
/// <param name="Inputs">Every value fed to the layer over the captured batch (post-ReLU for a layer behind a ReLU; the images for
/// the first layer).</param>
public sealed record LayerTensors(string Path, string Kind, float[] Weights, float[] Inputs);
