namespace ResearchKit.Tensors.Devices;

/// <summary>
/// The kernels of one device, below the tensor API: a device tensor's op calls exactly one of these (its one dispatch point),
/// so autograd, modules, losses and optimizers run unchanged above them. Ops without a kernel here refuse device tensors
/// with an error that names the op and the device. Implemented by ResearchKit.Gpu (ILGPU) and registered in
/// <see cref="DeviceBackends"/>.
/// </summary>
/// <remarks>
/// Outputs are contiguous storages the backend allocated (<see cref="Allocate"/>); inputs are read through their strides and
/// offset (stride 0 along a broadcast dimension). Launches may be asynchronous: <see cref="Download"/> waits for them.
/// </remarks>
public abstract class DeviceBackend
{
    /// <summary>The device this backend runs on.</summary>
    public abstract Device Device { get; }

    /// <summary>Uninitialized Float32 memory for <paramref name="length"/> elements (the caller overwrites all of it).</summary>
    public abstract DeviceStorage Allocate(long length);

    /// <summary>A storage holding a copy of <paramref name="data"/>.</summary>
    public abstract DeviceStorage Upload(ReadOnlySpan<float> data);

    /// <summary>
    /// A storage holding a copy of <paramref name="data"/>, written through the device's copy stream, so that it runs alongside
    /// the kernels already launched on the compute stream; returns once the copy is complete, so the storage is ready for any
    /// later kernel. Meant for a background thread that uploads the next batch while the current one computes
    /// (<see cref="DevicePrefetcher"/>). The default is <see cref="Upload"/>.
    /// </summary>
    public virtual DeviceStorage UploadOnCopyStream(ReadOnlySpan<float> data) => Upload(data);

    /// <summary>Class labels written through the copy stream, as <see cref="UploadOnCopyStream"/>; the default is <see cref="UploadLabels"/>.</summary>
    /// <exception cref="ArgumentException">A value does not fit in 32 bits.</exception>
    public virtual DeviceStorage UploadLabelsOnCopyStream(ReadOnlySpan<long> labels) => UploadLabels(labels);

    /// <summary>Uninitialized index storage (Int64 on the host, 32-bit on the device) for <paramref name="length"/> elements.</summary>
    public abstract DeviceStorage AllocateLabels(long length);

    /// <summary>A storage holding class labels (Int64 on the host, 32-bit on the device).</summary>
    /// <exception cref="ArgumentException">A value does not fit in 32 bits.</exception>
    public abstract DeviceStorage UploadLabels(ReadOnlySpan<long> labels);

    /// <summary>Copies <paramref name="destination"/>.Length elements from <paramref name="source"/> at <paramref name="offset"/> to the host, after pending work.</summary>
    public abstract void Download(DeviceStorage source, long offset, Span<float> destination);

    /// <summary>Copies labels back to the host, after pending work.</summary>
    public abstract void DownloadLabels(DeviceStorage source, long offset, Span<long> destination);

    /// <summary>output = a ⊕ b over <paramref name="shape"/>, each input read through its strides and offset.</summary>
    public abstract void Binary(DeviceBinaryOp op, ReadOnlySpan<int> shape, DeviceStorage a, ReadOnlySpan<long> aStrides, long aOffset,
        DeviceStorage b, ReadOnlySpan<long> bStrides, long bOffset, DeviceStorage output);

    /// <summary>output = f(x) over <paramref name="shape"/>, x read through its strides and offset.</summary>
    public abstract void Unary(DeviceUnaryOp op, ReadOnlySpan<int> shape, DeviceStorage x, ReadOnlySpan<long> strides, long offset, DeviceStorage output);

    /// <summary>Strided copy: output[outOffset + Σ i·outStrides] = x[offset + Σ i·strides] over <paramref name="shape"/> (a view
    /// made contiguous, or a block written into a larger tensor).</summary>
    public abstract void Copy(ReadOnlySpan<int> shape, DeviceStorage x, ReadOnlySpan<long> strides, long offset,
        DeviceStorage output, ReadOnlySpan<long> outStrides, long outOffset);

    /// <summary>output = condition ≠ 0 ? a : b over <paramref name="shape"/> (exact select), each input read through its strides and offset.</summary>
    public abstract void Where(ReadOnlySpan<int> shape, DeviceStorage condition, ReadOnlySpan<long> cStrides, long cOffset,
        DeviceStorage a, ReadOnlySpan<long> aStrides, long aOffset, DeviceStorage b, ReadOnlySpan<long> bStrides, long bOffset, DeviceStorage output);

    /// <summary>The maximum (or minimum) of contiguous x seen as (outer, n, inner) along n, and its index (index storage); first
    /// index on ties, the first NaN wins, as the CPU engine.</summary>
    public abstract void Extremum(DeviceStorage x, long offset, int outer, int n, int inner, bool max, DeviceStorage values, DeviceStorage indices);

    /// <summary>mask (outer, n, inner) = 1 where the position along n equals indices[outer, inner] (index storage), else 0.</summary>
    public abstract void OneHot(DeviceStorage indices, int outer, int n, int inner, DeviceStorage mask);

    /// <summary>Softmax (or log-softmax) along each row of contiguous x (rows × cols) at <paramref name="offset"/>.</summary>
    public abstract void SoftmaxRows(DeviceStorage x, long offset, int rows, int cols, bool log, DeviceStorage y);

    /// <summary>C (m×n, contiguous) = op(A)·op(B), row-major operands with leading dimensions, as the CPU engine's GEMM.</summary>
    public abstract void Gemm(bool transA, bool transB, int m, int n, int k, DeviceStorage a, long aOffset, int lda,
        DeviceStorage b, long bOffset, int ldb, DeviceStorage c);

    /// <summary>Fills <paramref name="output"/> with <paramref name="value"/>.</summary>
    public abstract void Fill(DeviceStorage output, float value);

    /// <summary>Per-row cross-entropy of contiguous logits (rows × cols) against labels: loss[r] = logsumexp(x[r]) − x[r, label].</summary>
    public abstract void CrossEntropyRows(DeviceStorage logits, int rows, int cols, DeviceStorage labels, DeviceStorage loss);

    /// <summary>gx = scale·(softmax(x) − onehot(label)) for contiguous logits (rows × cols).</summary>
    public abstract void CrossEntropyBackward(DeviceStorage logits, int rows, int cols, DeviceStorage labels, float scale, DeviceStorage gradient);

    /// <summary>y = conv2d(x, w) + bias (contiguous NCHW; <paramref name="bias"/> null for none).</summary>
    public abstract void Conv2dForward(DeviceConvShape g, DeviceStorage x, DeviceStorage weight, DeviceStorage? bias, DeviceStorage y);

    /// <summary>The gradient of <see cref="Conv2dForward"/> with respect to its input.</summary>
    public abstract void Conv2dBackwardInput(DeviceConvShape g, DeviceStorage gy, DeviceStorage weight, DeviceStorage gx);

    /// <summary>The gradients of <see cref="Conv2dForward"/> with respect to its weight and (when not null) its bias.</summary>
    public abstract void Conv2dBackwardWeight(DeviceConvShape g, DeviceStorage x, DeviceStorage gy, DeviceStorage gradWeight, DeviceStorage? gradBias);

    /// <summary>
    /// Batch norm in training mode over contiguous (N, C, S): y = (x − μ_B)/√(σ²_B + ε)·γ + β, saving μ_B and 1/√(σ²_B + ε) per
    /// channel, and updating the running statistics in place (unbiased variance). γ, β null: no affine part.
    /// </summary>
    public abstract void BatchNormTrain(DeviceStorage x, int n, int c, int s, DeviceStorage? gamma, DeviceStorage? beta,
        DeviceStorage runningMean, DeviceStorage runningVar, float momentum, float eps, DeviceStorage y, DeviceStorage saveMean, DeviceStorage saveInvStd);

    /// <summary>The backward of <see cref="BatchNormTrain"/> from its saved statistics; γ/β gradients written when not null.</summary>
    public abstract void BatchNormBackward(DeviceStorage x, DeviceStorage gy, int n, int c, int s, DeviceStorage? gamma,
        DeviceStorage saveMean, DeviceStorage saveInvStd, DeviceStorage gx, DeviceStorage? gradGamma, DeviceStorage? gradBeta);

    /// <summary>Max pooling (−∞ padding): y and, per output, the flat index within its input plane of the maximum (index storage).</summary>
    public abstract void MaxPool2dForward(DevicePoolShape g, DeviceStorage x, DeviceStorage y, DeviceStorage argmax);

    /// <summary>The input gradient of <see cref="MaxPool2dForward"/> from its indices.</summary>
    public abstract void MaxPool2dBackward(DevicePoolShape g, DeviceStorage gy, DeviceStorage argmax, DeviceStorage gx);

    /// <summary>Average pooling, padding counted in the divisor (PyTorch's default).</summary>
    public abstract void AvgPool2dForward(DevicePoolShape g, DeviceStorage x, DeviceStorage y);

    /// <summary>The input gradient of <see cref="AvgPool2dForward"/>.</summary>
    public abstract void AvgPool2dBackward(DevicePoolShape g, DeviceStorage gy, DeviceStorage gx);

    /// <summary>Adaptive average pooling of contiguous (N, C, H, W) to oh×ow (PyTorch's windows).</summary>
    public abstract void AdaptiveAvgPool2dForward(int n, int c, int h, int w, int oh, int ow, DeviceStorage x, DeviceStorage y);

    /// <summary>The input gradient of <see cref="AdaptiveAvgPool2dForward"/>.</summary>
    public abstract void AdaptiveAvgPool2dBackward(int n, int c, int h, int w, int oh, int ow, DeviceStorage gy, DeviceStorage gx);

    /// <summary>One SGD step in place (PyTorch's rule; <paramref name="buffer"/> unused without momentum).</summary>
    public abstract void SgdStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage? buffer, float lr, float momentum,
        float dampening, float weightDecay, bool nesterov, bool firstStep);

    /// <summary>One Adam step t (from 1) in place with L2 weight decay (PyTorch's Adam, without amsgrad).</summary>
    public abstract void AdamStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage expAvg, DeviceStorage expAvgSq, long step,
        float lr, float beta1, float beta2, float eps, float weightDecay);

    /// <summary>
    /// The point-wise part of one LSTM step (gate order i, f, g, o): from contiguous gate pre-activations (batch × 4·hidden) and
    /// c (batch × hidden), c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c') into contiguous outputs.
    /// </summary>
    public abstract void LstmPointwiseForward(int batch, int hidden, DeviceStorage gates, long gatesOffset, DeviceStorage c, long cOffset,
        DeviceStorage hNext, DeviceStorage cNext);

    /// <summary>The backward of <see cref="LstmPointwiseForward"/>: from ∂L/∂h' and ∂L/∂c' (contiguous), the gradients of the gate
    /// pre-activations and of c (recomputing the activations from the saved pre-activations).</summary>
    public abstract void LstmPointwiseBackward(int batch, int hidden, DeviceStorage gates, long gatesOffset, DeviceStorage c, long cOffset,
        DeviceStorage cNext, DeviceStorage gradH, long gradHOffset, DeviceStorage gradCNext, long gradCNextOffset, DeviceStorage gradGates, DeviceStorage gradC);

    /// <summary>One RMSprop step in place (PyTorch's rule); <paramref name="gradAvg"/> only when centered, <paramref name="buffer"/>
    /// only with momentum.</summary>
    public abstract void RmsPropStep(DeviceStorage parameter, DeviceStorage gradient, DeviceStorage squareAvg, DeviceStorage? gradAvg,
        DeviceStorage? buffer, float lr, float alpha, float eps, float weightDecay, float momentum);

    /// <summary>Waits for every launched kernel.</summary>
    public abstract void Synchronize();
}
