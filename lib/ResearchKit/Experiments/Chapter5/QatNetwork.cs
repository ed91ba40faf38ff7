using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// A ResNet and its <see cref="ClassifierHead"/> as one module (children <c>model</c> and <c>head</c>), so one optimizer and
/// one state dict cover the network and the loss's class parameters (§5.3). Forward gives the head's margin-free scores.
/// </summary>
/// <remarks>Supported models: <see cref="ResNet18Cifar"/> (features = <see cref="ResNet18.Features"/>, classifier <c>fc</c>),
/// <see cref="ResNetCifar"/> (features = the pooled output of <c>layer3</c>, classifier <c>linear</c>) and
/// <see cref="ResNetV2Cifar"/> (features = <see cref="ResNetV2Cifar.Features"/>, Pang et al.'s <c>final_features</c> of
/// <see cref="ResNetV2Cifar.FeatureDim"/> values; classifier <c>linear</c>).</remarks>
public sealed class QatNetwork : Module<Tensor, Tensor>
{
    /// <summary>Builds the network of <paramref name="model"/> with the head of <paramref name="loss"/>.</summary>
    /// <param name="model">A <see cref="ResNet18Cifar"/>, <see cref="ResNetCifar"/> or <see cref="ResNetV2Cifar"/> (float, not yet converted).</param>
    /// <param name="loss">CE, AMS or GML.</param>
    /// <param name="settings">Loss hyper-parameters.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="generator">Random source for the head's class parameters.</param>
    /// <exception cref="ArgumentException">The model is not one of the supported ResNets.</exception>
    public QatNetwork(Module<Tensor, Tensor> model, QatLoss loss, QatTraining settings, int classes, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int dim = model switch
        {
            ResNet18 => 512,
            ResNetCifar => 64,
            ResNetV2Cifar r => r.FeatureDim,
            _ => throw new ArgumentException($"QatNetwork: unsupported model {model.GetType().Name}; use ResNet18Cifar, ResNetCifar or ResNetV2Cifar (they expose their penultimate features).", nameof(model)),
        };
        Model = RegisterModule("model", model);
        Head = RegisterModule("head", ClassifierHead.Create(loss, () => Classifier, dim, classes, settings, generator));
    }

    /// <summary>The ResNet (its layers are replaced in place by Training I/II).</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The loss head.</summary>
    public ClassifierHead Head { get; }

    /// <summary>The model's current final linear layer (<c>fc</c> or <c>linear</c>), float, clamped or quantized.</summary>
    public Module<Tensor, Tensor> Classifier => Model switch
    {
        ResNet18 r => r.Fc,
        ResNetCifar r => r.Classifier,
        ResNetV2Cifar r => r.Classifier,
        _ => throw new InvalidOperationException("QatNetwork.Classifier: unsupported model."),
    };

    /// <summary>The penultimate features (N, D), the input of the final linear layer (§5.3, §5.5).</summary>
    public Tensor Features(Tensor input)
    {
        switch (Model)
        {
            case ResNet18 r: return r.Features(input);
            case ResNetCifar r:
                var x = r.Relu.Forward(r.Bn1.Forward(r.Conv1.Forward(input)));
                foreach (var stage in r.Stages) x = stage.Forward(x);
                return x.Mean([2, 3]);
            case ResNetV2Cifar r: return r.Features(input);
            default: throw new InvalidOperationException("QatNetwork.Features: unsupported model.");
        }
    }

    /// <summary>The head's loss on a batch.</summary>
    public Tensor Loss(Tensor input, Tensor target) => Head.Loss(Features(input), target);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Head.Logits(Features(input));
}
