using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// torchvision's post-activation basic block (§5.4.2): <c>relu2(bn2(conv2(relu1(bn1(conv1(x))))) + shortcut(x))</c>, with a
/// <c>downsample</c> = Sequential(conv 1×1 stride s, batch norm) shortcut when the shape changes, identity otherwise.
/// </summary>
/// <remarks><c>relu2</c> follows the residual addition, so it is the residual stream's activation (see <see cref="ResNet18Cifar"/>).</remarks>
public sealed class ResNet18Block : Module<Tensor, Tensor>
{
    private readonly bool _hasDownsample;

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels (§5.4.1).</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of <c>conv1</c> and of the projection.</param>
    /// <param name="generator">Random source for the initialization.</param>
    /// <param name="layers">Creates the layers (default <see cref="LayerFactory.Default"/>).</param>
    public ResNet18Block(int inPlanes, int planes, int stride = 1, Generator? generator = null, LayerFactory? layers = null)
    {
        layers ??= LayerFactory.Default;
        RegisterModule("conv1", layers.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false, generator: generator));
        RegisterModule("bn1", layers.BatchNorm2d(planes));
        RegisterModule("relu1", layers.ReLU());
        RegisterModule("conv2", layers.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false, generator: generator));
        RegisterModule("bn2", layers.BatchNorm2d(planes));
        RegisterModule("relu2", layers.ReLU());
        _hasDownsample = stride != 1 || inPlanes != planes;
        if (_hasDownsample)
        {
            var ds = new Sequential();
            ds.Append(layers.Conv2d(inPlanes, planes, 1, stride: stride, padding: 0, bias: false, generator: generator));
            ds.Append(layers.BatchNorm2d(planes));
            RegisterModule<Module<Tensor, Tensor>>("downsample", ds);
        }
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        var y = Child<Module<Tensor, Tensor>>("relu1").Forward(Child<Module<Tensor, Tensor>>("bn1").Forward(Child<Module<Tensor, Tensor>>("conv1").Forward(input)));
        y = Child<Module<Tensor, Tensor>>("bn2").Forward(Child<Module<Tensor, Tensor>>("conv2").Forward(y));
        var shortcut = _hasDownsample ? Child<Module<Tensor, Tensor>>("downsample").Forward(input) : input;
        return Child<Module<Tensor, Tensor>>("relu2").Forward(y + shortcut);
    }
}
