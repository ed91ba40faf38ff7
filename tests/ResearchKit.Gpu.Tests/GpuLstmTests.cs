using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>An LSTM step on the GPU (two GEMMs for the gates, the fused point-wise kernel, and the backward through both)
/// against the engine's <see cref="LstmCell"/> and its autograd: h', c' and the gradients of x, h, c, both weights and both biases.</summary>
public class GpuLstmTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void OneStep_ForwardAndBackward_MatchTheEnginesCell(string device)
    {
        using var gpu = GpuTest.Open(device);
        const int batch = 3, input = 5, hidden = 7;
        var gen = new Generator(41);
        var cell = new LstmCell(input, hidden, generator: gen);
        var x = Tensor.Randn([batch, input], gen).RequiresGrad_();
        var h = Tensor.Randn([batch, hidden], gen).RequiresGrad_();
        var c = Tensor.Randn([batch, hidden], gen).RequiresGrad_();
        var (h1, c1) = cell.Forward(x, (h, c));
        var rh = Tensor.Randn([batch, hidden], gen);
        var rc = Tensor.Randn([batch, hidden], gen);
        var grads = Autograd.Grad([(h1 * rh).Sum() + (c1 * rc).Sum()], [x, h, c, cell.WeightIh, cell.WeightHh, cell.BiasIh!, cell.BiasHh!]);

        var acc = gpu.Accelerator;
        using var dx = acc.Allocate1D(x.ToArray());
        using var dh = acc.Allocate1D(h.ToArray());
        using var dc = acc.Allocate1D(c.ToArray());
        using var dwi = acc.Allocate1D(cell.WeightIh.ToArray());
        using var dwh = acc.Allocate1D(cell.WeightHh.ToArray());
        var bias = cell.BiasIh!.ToArray().Zip(cell.BiasHh!.ToArray(), (a, b) => a + b).ToArray();
        var gatesInit = Enumerable.Range(0, batch).SelectMany(_ => bias).ToArray();   // both biases, row by row
        using var dgates = acc.Allocate1D(gatesInit);
        GpuGemm.Sgemm(gpu, false, true, batch, 4 * hidden, input, 1f, dx.View, input, dwi.View, input, 1f, dgates.View, 4 * hidden);
        GpuGemm.Sgemm(gpu, false, true, batch, 4 * hidden, hidden, 1f, dh.View, hidden, dwh.View, hidden, 1f, dgates.View, 4 * hidden);
        using var dh1 = acc.Allocate1D<float>(batch * hidden);
        using var dc1 = acc.Allocate1D<float>(batch * hidden);
        GpuLstm.PointwiseForward(gpu, batch, hidden, dgates.View, dc.View, dh1.View, dc1.View);
        GpuTest.CloseScaled(h1.ToArray(), dh1.GetAsArray1D(), $"{device} h'", 1e-5f);
        GpuTest.CloseScaled(c1.ToArray(), dc1.GetAsArray1D(), $"{device} c'", 1e-5f);

        using var drh = acc.Allocate1D(rh.ToArray());
        using var drc = acc.Allocate1D(rc.ToArray());
        using var dgg = acc.Allocate1D<float>(batch * 4 * hidden);
        using var dgc = acc.Allocate1D<float>(batch * hidden);
        GpuLstm.PointwiseBackward(gpu, batch, hidden, dgates.View, dc.View, dc1.View, drh.View, drc.View, dgg.View, dgc.View);
        using var dgx = acc.Allocate1D<float>(batch * input);
        using var dgh = acc.Allocate1D<float>(batch * hidden);
        using var dgwi = acc.Allocate1D<float>(4 * hidden * input);
        using var dgwh = acc.Allocate1D<float>(4 * hidden * hidden);
        using var ones = acc.Allocate1D(Enumerable.Repeat(1f, batch).ToArray());
        using var dgb = acc.Allocate1D<float>(4 * hidden);
        GpuGemm.Sgemm(gpu, false, false, batch, input, 4 * hidden, 1f, dgg.View, 4 * hidden, dwi.View, input, 0f, dgx.View, input);
        GpuGemm.Sgemm(gpu, false, false, batch, hidden, 4 * hidden, 1f, dgg.View, 4 * hidden, dwh.View, hidden, 0f, dgh.View, hidden);
        GpuGemm.Sgemm(gpu, true, false, 4 * hidden, input, batch, 1f, dgg.View, 4 * hidden, dx.View, input, 0f, dgwi.View, input);
        GpuGemm.Sgemm(gpu, true, false, 4 * hidden, hidden, batch, 1f, dgg.View, 4 * hidden, dh.View, hidden, 0f, dgwh.View, hidden);
        GpuGemm.Sgemm(gpu, true, false, 4 * hidden, 1, batch, 1f, dgg.View, 4 * hidden, ones.View, 1, 0f, dgb.View, 1);
        GpuTest.CloseScaled(grads[0]!.ToArray(), dgx.GetAsArray1D(), $"{device} ∂x", 1e-5f);
        GpuTest.CloseScaled(grads[1]!.ToArray(), dgh.GetAsArray1D(), $"{device} ∂h", 1e-5f);
        GpuTest.CloseScaled(grads[2]!.ToArray(), dgc.GetAsArray1D(), $"{device} ∂c", 1e-5f);
        GpuTest.CloseScaled(grads[3]!.ToArray(), dgwi.GetAsArray1D(), $"{device} ∂W_ih", 1e-5f);
        GpuTest.CloseScaled(grads[4]!.ToArray(), dgwh.GetAsArray1D(), $"{device} ∂W_hh", 1e-5f);
        GpuTest.CloseScaled(grads[5]!.ToArray(), dgb.GetAsArray1D(), $"{device} ∂b_ih", 1e-5f);
        GpuTest.CloseScaled(grads[6]!.ToArray(), dgb.GetAsArray1D(), $"{device} ∂b_hh", 1e-5f);
    }
}
