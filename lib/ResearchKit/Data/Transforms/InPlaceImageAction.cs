using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>Edits one image's values in place (see <see cref="Transforms.Lambda"/>).</summary>
/// <param name="image">The C×H×W values.</param>
/// <param name="shape">Their shape.</param>
/// <param name="rng">The sample's generator.</param>
public delegate void InPlaceImageAction(Span<float> image, ImageShape shape, Generator rng);
