using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Whole-sequence Elman RNN kernels for one layer and one direction, with PyTorch <c>nn.RNN</c> math and parameter
/// layout: h' = act(W_ih x + b_ih + W_hh h + b_hh), W_ih [H, I], W_hh [H, H], b_ih [H], b_hh [H], act = tanh or ReLU.
/// </summary>
/// <remarks>
/// Tensors are row-major and contiguous: x [T, B, I] time-major, states [B, H], y [T, B, H].
/// Forward: one GEMM for the input projection of all T·B rows, then per step one GEMM h·W_hhᵀ and the activation.
/// Backward: one GEMM per step for dh, then dW_hh, dW_ih and dx as one GEMM each. All outputs are overwritten.
/// </remarks>
public static class RnnKernel
{
    /// <summary>Number of stacked gates (one).</summary>
    public const int GateCount = 1;

    /// <summary>Runs the RNN over the whole sequence and saves what <see cref="Backward"/> needs in <paramref name="workspace"/>.</summary>
    /// <param name="workspace">Geometry and saved state; reused across calls.</param>
    /// <param name="nonlinearity">Activation (tanh or ReLU).</param>
    /// <param name="x">Input [T, B, I].</param>
    /// <param name="h0">Initial hidden state [B, H], or empty for zeros.</param>
    /// <param name="wIh">weight_ih [H, I].</param>
    /// <param name="wHh">weight_hh [H, H].</param>
    /// <param name="bIh">bias_ih [H], or empty (then <paramref name="bHh"/> must be empty too) for no bias.</param>
    /// <param name="bHh">bias_hh [H], or empty.</param>
    /// <param name="y">Receives all hidden states [T, B, H], or empty to skip.</param>
    /// <param name="hN">Receives h_T [B, H], or empty to skip.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry or the activation is unknown.</exception>
    public static void Forward(RnnWorkspace workspace, RnnNonlinearity nonlinearity, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, Span<float> hN)
    {
        const string op = "RnnKernel.Forward";
        ArgumentNullException.ThrowIfNull(workspace);
        if (nonlinearity is not (RnnNonlinearity.Tanh or RnnNonlinearity.Relu))
            throw new ArgumentException($"{op}: unknown nonlinearity {(int)nonlinearity}; use RnnNonlinearity.Tanh or RnnNonlinearity.Relu.", nameof(nonlinearity));
        var ws = workspace;
        bool hasBias = ws.CheckForward(op, x, h0, wIh, wHh, bIh, bHh, y, hN);
        ws.HasForward = false;

        int steps = ws.SeqLen, hidden = ws.HiddenSize, state = ws.StateSize;
        float[] pre = ws.Gates, hs = ws.Hidden;
        if (hasBias) TensorPrimitives.Add(bIh, bHh, ws.BiasRow);
        RecurrentOps.InputProjection(x, wIh, pre, ws.Rows, ws.InputSize, hidden);
        RecurrentOps.CopyOrZero(h0, hs.AsSpan(0, state));

        for (int t = 0; t < steps; t++)
        {
            Span<float> p = pre.AsSpan(t * state, state);
            RecurrentOps.Sgemm(false, true, ws.Batch, hidden, hidden, 1f, hs.AsSpan(t * state, state), hidden, wHh, hidden, 1f, p, hidden);
            if (hasBias)
                for (int b = 0; b < ws.Batch; b++) TensorPrimitives.Add(p.Slice(b * hidden, hidden), ws.BiasRow, p.Slice(b * hidden, hidden));
            Span<float> hNew = hs.AsSpan((t + 1) * state, state);
            if (nonlinearity == RnnNonlinearity.Tanh) SimdActivations.Tanh(p, hNew);
            else TensorPrimitives.Max(p, 0f, hNew);
        }

        if (!y.IsEmpty) hs.AsSpan(state, steps * state).CopyTo(y);
        if (!hN.IsEmpty) hs.AsSpan(steps * state, state).CopyTo(hN);
        ws.Nonlinearity = nonlinearity;
        ws.HasForward = true;
    }

    /// <summary>
    /// Backpropagates through the whole sequence saved by the last <see cref="Forward"/> on <paramref name="workspace"/>,
    /// using the activation of that forward. Every gradient output is optional (empty = not needed) and is overwritten.
    /// </summary>
    /// <param name="workspace">The workspace filled by <see cref="Forward"/>; it is not modified, so backward may be repeated.</param>
    /// <param name="x">The same input [T, B, I] passed to forward (needed for dW_ih).</param>
    /// <param name="wIh">The same weight_ih [H, I].</param>
    /// <param name="wHh">The same weight_hh [H, H].</param>
    /// <param name="dy">Gradient wrt y [T, B, H], or empty for zeros.</param>
    /// <param name="dhN">Gradient wrt h_n [B, H], or empty for zeros.</param>
    /// <param name="dx">Receives dL/dx [T, B, I], or empty.</param>
    /// <param name="dh0">Receives dL/dh0 [B, H], or empty.</param>
    /// <param name="dWih">Receives dL/dW_ih [H, I], or empty.</param>
    /// <param name="dWhh">Receives dL/dW_hh [H, H], or empty.</param>
    /// <param name="dbIh">Receives dL/db_ih [H], or empty.</param>
    /// <param name="dbHh">Receives dL/db_hh [H] (equal to dL/db_ih), or empty.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry.</exception>
    /// <exception cref="InvalidOperationException">The workspace holds no completed forward pass.</exception>
    public static void Backward(RnnWorkspace workspace, ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhN,
        Span<float> dx, Span<float> dh0, Span<float> dWih, Span<float> dWhh, Span<float> dbIh, Span<float> dbHh)
    {
        const string op = "RnnKernel.Backward";
        ArgumentNullException.ThrowIfNull(workspace);
        var ws = workspace;
        ws.CheckBackward(op, x, wIh, wHh, dy, dhN, dx, dh0, dWih, dWhh, dbIh, dbHh);

        int steps = ws.SeqLen, batch = ws.Batch, hidden = ws.HiddenSize, state = ws.StateSize, rows = ws.Rows;
        bool relu = ws.Nonlinearity == RnnNonlinearity.Relu;
        float[] hs = ws.Hidden;
        float[] dP = RecurrentWorkspace.Ensure(ref ws.GradGates, ws.Gates.Length);
        float[] dh = RecurrentWorkspace.Ensure(ref ws.GradHidden, state);
        float[] partial = RecurrentWorkspace.Ensure(ref ws.ColumnPartial, hidden);
        Span<float> db = dbIh.IsEmpty ? dbHh : dbIh; // identical for an RNN: compute once, copy at the end
        db.Clear();
        RecurrentOps.CopyOrZero(dhN, dh);

        for (int t = steps - 1; t >= 0; t--)
        {
            if (!dy.IsEmpty) TensorPrimitives.Add(dh, dy.Slice(t * state, state), dh);
            ref float hRef = ref hs[(t + 1) * state];
            ref float dhRef = ref dh[0];
            ref float dPRef = ref dP[t * state];
            int j = 0;
            if (Lane512.IsAccelerated) j = BackwardLanes<Lane512>(j, state, relu, ref hRef, ref dhRef, ref dPRef);
            if (Lane256.IsAccelerated) j = BackwardLanes<Lane256>(j, state, relu, ref hRef, ref dhRef, ref dPRef);
            BackwardLanes<LaneScalar>(j, state, relu, ref hRef, ref dhRef, ref dPRef);
            RecurrentOps.AccumulateColumnSums(dP.AsSpan(t * state, state), batch, hidden, db, partial);
            if (t > 0 || !dh0.IsEmpty)
                RecurrentOps.Sgemm(false, false, batch, hidden, hidden, 1f, dP.AsSpan(t * state, state), hidden, wHh, hidden, 0f, dh, hidden);
        }
        if (!dh0.IsEmpty) dh.AsSpan().CopyTo(dh0);

        ReadOnlySpan<float> dPre = dP;
        if (!dWhh.IsEmpty)
            RecurrentOps.Sgemm(true, false, hidden, hidden, rows, 1f, dPre, hidden, hs.AsSpan(0, rows * hidden), hidden, 0f, dWhh, hidden);
        if (!dWih.IsEmpty)
            RecurrentOps.Sgemm(true, false, hidden, ws.InputSize, rows, 1f, dPre, hidden, x, ws.InputSize, 0f, dWih, ws.InputSize);
        if (!dx.IsEmpty)
            RecurrentOps.Sgemm(false, false, rows, ws.InputSize, hidden, 1f, dPre, hidden, wIh, ws.InputSize, 0f, dx, ws.InputSize);
        if (!dbIh.IsEmpty && !dbHh.IsEmpty) dbIh.CopyTo(dbHh);
    }

    /// <summary>dPre = dh ⊙ act'(pre), with act' recovered from the output h: 1 − h² for tanh, [h &gt; 0] for ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<V>(int j, int n, bool relu, ref float h, ref float dh, ref float dPre) where V : struct, ISimdLane<V>
    {
        if (relu)
        {
            for (; j + V.Count <= n; j += V.Count)
                V.Store(V.WherePositive(V.Load(ref h, j), V.Load(ref dh, j)), ref dPre, j);
        }
        else
        {
            V one = V.Splat(1f);
            for (; j + V.Count <= n; j += V.Count)
            {
                V hv = V.Load(ref h, j);
                V.Store(V.Load(ref dh, j) * (one - hv * hv), ref dPre, j);
            }
        }
        return j;
    }
}
