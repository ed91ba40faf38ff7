using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Whole-sequence GRU kernels for one layer and one direction, with PyTorch <c>nn.GRU</c> math, gate order
/// (r, z, n) and parameter layout: W_ih [3H, I], W_hh [3H, H], b_ih [3H], b_hh [3H].
/// </summary>
/// <remarks>
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))     h' = (1 − z) ⊙ n + z ⊙ h
/// </code>
/// Tensors are row-major and contiguous: x [T, B, I] time-major, states [B, H], y [T, B, H].
/// Forward: one GEMM for the input projection of all T·B rows, then per step one GEMM h·W_hhᵀ and a fused
/// pointwise update. Backward: one GEMM per step for dh, then dW_hh, dW_ih and dx as one GEMM each.
/// db_ih and db_hh differ in the n block (the hidden side is scaled by r). All outputs are overwritten.
/// </remarks>
public static class GruKernel
{
    /// <summary>Number of stacked gates (r, z, n).</summary>
    public const int GateCount = 3;

    /// <summary>Runs the GRU over the whole sequence and saves what <see cref="Backward"/> needs in <paramref name="workspace"/>.</summary>
    /// <param name="workspace">Geometry and saved state; reused across calls.</param>
    /// <param name="x">Input [T, B, I].</param>
    /// <param name="h0">Initial hidden state [B, H], or empty for zeros.</param>
    /// <param name="wIh">weight_ih [3H, I].</param>
    /// <param name="wHh">weight_hh [3H, H].</param>
    /// <param name="bIh">bias_ih [3H], or empty (then <paramref name="bHh"/> must be empty too) for no bias.</param>
    /// <param name="bHh">bias_hh [3H], or empty.</param>
    /// <param name="y">Receives all hidden states [T, B, H], or empty to skip.</param>
    /// <param name="hN">Receives h_T [B, H], or empty to skip.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry.</exception>
    public static void Forward(GruWorkspace workspace, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, Span<float> hN)
    {
        const string op = "GruKernel.Forward";
        ArgumentNullException.ThrowIfNull(workspace);
        var ws = workspace;
        bool hasBias = ws.CheckForward(op, x, h0, wIh, wHh, bIh, bHh, y, hN);
        ws.HasForward = false;

        int steps = ws.SeqLen, batch = ws.Batch, hidden = ws.HiddenSize, width = ws.GateWidth, state = ws.StateSize;
        int rz = 2 * hidden;
        float[] gates = ws.Gates, hs = ws.Hidden, hc = ws.HiddenCandidate, proj = ws.StepProjection;
        if (hasBias)
        {
            // b_hr and b_hz add to the pre-activation like b_ir, b_iz, so fold them into one row with b_in;
            // b_hn sits inside r ⊙ (…) and is added separately.
            TensorPrimitives.Add(bIh[..rz], bHh[..rz], ws.BiasRow.AsSpan(0, rz));
            bIh[rz..].CopyTo(ws.BiasRow.AsSpan(rz));
        }
        RecurrentOps.InputProjection(x, wIh, gates, ws.Rows, ws.InputSize, width);
        RecurrentOps.CopyOrZero(h0, hs.AsSpan(0, state));
        ReadOnlySpan<float> bias = hasBias ? ws.BiasRow : default, bHn = hasBias ? bHh[rz..] : default;

        for (int t = 0; t < steps; t++)
        {
            RecurrentOps.Sgemm(false, true, batch, width, hidden, 1f, hs.AsSpan(t * state, state), hidden, wHh, hidden, 0f, proj, width);
            for (int b = 0; b < batch; b++)
            {
                int sOff = t * state + b * hidden;
                CellRow(gates.AsSpan((t * batch + b) * width, width), proj.AsSpan(b * width, width), bias, bHn,
                    hc.AsSpan(sOff, hidden), hs.AsSpan(sOff, hidden), hs.AsSpan(sOff + state, hidden), hidden);
            }
        }

        if (!y.IsEmpty) hs.AsSpan(state, steps * state).CopyTo(y);
        if (!hN.IsEmpty) hs.AsSpan(steps * state, state).CopyTo(hN);
        ws.HasForward = true;
    }

    /// <summary>
    /// One batch row of the GRU step: <paramref name="g"/> holds the input projection W_ih x and receives the
    /// activations r, z, n; <paramref name="bias"/> is [b_ir + b_hr, b_iz + b_hz, b_in] (or empty);
    /// <paramref name="hc"/> receives W_hn h + b_hn; <paramref name="hNew"/> receives h'.
    /// </summary>
    private static void CellRow(Span<float> g, ReadOnlySpan<float> p, ReadOnlySpan<float> bias, ReadOnlySpan<float> bHn, Span<float> hc,
        ReadOnlySpan<float> hPrev, Span<float> hNew, int hidden)
    {
        bool hasBias = !bHn.IsEmpty;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float pr = ref MemoryMarshal.GetReference(p);
            ref float bi = ref MemoryMarshal.GetReference(bias);
            ref float br = ref MemoryMarshal.GetReference(bHn);
            ref float hcr = ref MemoryMarshal.GetReference(hc);
            ref float hp = ref MemoryMarshal.GetReference(hPrev);
            ref float hn = ref MemoryMarshal.GetReference(hNew);
            nuint n = (nuint)hidden;
            for (; j + 16 <= hidden; j += 16)
            {
                nuint k = (nuint)j;
                Vector512<float> pR = Vector512.LoadUnsafe(ref gr, k) + Vector512.LoadUnsafe(ref pr, k);
                Vector512<float> pz = Vector512.LoadUnsafe(ref gr, n + k) + Vector512.LoadUnsafe(ref pr, n + k);
                Vector512<float> pn = Vector512.LoadUnsafe(ref gr, 2 * n + k);
                Vector512<float> hcv = Vector512.LoadUnsafe(ref pr, 2 * n + k);
                if (hasBias)
                {
                    pR += Vector512.LoadUnsafe(ref bi, k);
                    pz += Vector512.LoadUnsafe(ref bi, n + k);
                    pn += Vector512.LoadUnsafe(ref bi, 2 * n + k);
                    hcv += Vector512.LoadUnsafe(ref br, k);
                }
                Vector512<float> r = SimdActivations.Sigmoid(pR), z = SimdActivations.Sigmoid(pz);
                Vector512<float> cand = SimdActivations.Tanh(Vector512.FusedMultiplyAdd(r, hcv, pn));
                r.StoreUnsafe(ref gr, k);
                z.StoreUnsafe(ref gr, n + k);
                cand.StoreUnsafe(ref gr, 2 * n + k);
                hcv.StoreUnsafe(ref hcr, k);
                // h' = (1 − z) n + z h = n + z (h − n)
                Vector512.FusedMultiplyAdd(z, Vector512.LoadUnsafe(ref hp, k) - cand, cand).StoreUnsafe(ref hn, k);
            }
        }
        if (j == hidden) return;
        int w = hidden - j;
        Span<float> rG = g.Slice(j, w), zG = g.Slice(hidden + j, w), nG = g.Slice(2 * hidden + j, w), hcT = hc[j..], hT = hNew[j..];
        if (hasBias)
            for (int k = 0; k < GateCount; k++) TensorPrimitives.Add(g.Slice(k * hidden + j, w), bias.Slice(k * hidden + j, w), g.Slice(k * hidden + j, w));
        TensorPrimitives.Add(rG, p.Slice(j, w), rG);
        TensorPrimitives.Add(zG, p.Slice(hidden + j, w), zG);
        TensorPrimitives.Sigmoid(rG, rG);
        TensorPrimitives.Sigmoid(zG, zG);
        if (hasBias) TensorPrimitives.Add(p.Slice(2 * hidden + j, w), bHn[j..], hcT);
        else p.Slice(2 * hidden + j, w).CopyTo(hcT);
        TensorPrimitives.FusedMultiplyAdd(rG, hcT, nG, nG);
        SimdActivations.Tanh(nG, nG);
        TensorPrimitives.Subtract(hPrev[j..], nG, hT);
        TensorPrimitives.FusedMultiplyAdd(zG, hT, nG, hT);
    }

    /// <summary>
    /// Backpropagates through the whole sequence saved by the last <see cref="Forward"/> on <paramref name="workspace"/>.
    /// Every gradient output is optional (empty = not needed) and is overwritten, not accumulated.
    /// </summary>
    /// <param name="workspace">The workspace filled by <see cref="Forward"/>; it is not modified, so backward may be repeated.</param>
    /// <param name="x">The same input [T, B, I] passed to forward (needed for dW_ih).</param>
    /// <param name="wIh">The same weight_ih [3H, I].</param>
    /// <param name="wHh">The same weight_hh [3H, H].</param>
    /// <param name="dy">Gradient wrt y [T, B, H], or empty for zeros.</param>
    /// <param name="dhN">Gradient wrt h_n [B, H], or empty for zeros.</param>
    /// <param name="dx">Receives dL/dx [T, B, I], or empty.</param>
    /// <param name="dh0">Receives dL/dh0 [B, H], or empty.</param>
    /// <param name="dWih">Receives dL/dW_ih [3H, I], or empty.</param>
    /// <param name="dWhh">Receives dL/dW_hh [3H, H], or empty.</param>
    /// <param name="dbIh">Receives dL/db_ih [3H], or empty.</param>
    /// <param name="dbHh">Receives dL/db_hh [3H], or empty.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry.</exception>
    /// <exception cref="InvalidOperationException">The workspace holds no completed forward pass.</exception>
    public static void Backward(GruWorkspace workspace, ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhN,
        Span<float> dx, Span<float> dh0, Span<float> dWih, Span<float> dWhh, Span<float> dbIh, Span<float> dbHh)
    {
        const string op = "GruKernel.Backward";
        ArgumentNullException.ThrowIfNull(workspace);
        var ws = workspace;
        ws.CheckBackward(op, x, wIh, wHh, dy, dhN, dx, dh0, dWih, dWhh, dbIh, dbHh);

        int steps = ws.SeqLen, batch = ws.Batch, hidden = ws.HiddenSize, width = ws.GateWidth, state = ws.StateSize, rows = ws.Rows;
        float[] gates = ws.Gates, hs = ws.Hidden, hc = ws.HiddenCandidate;
        float[] dGi = RecurrentWorkspace.Ensure(ref ws.GradGates, gates.Length);
        float[] dGh = RecurrentWorkspace.Ensure(ref ws.GradHiddenGates, gates.Length);
        float[] dh = RecurrentWorkspace.Ensure(ref ws.GradHidden, state);
        float[] dhPrev = RecurrentWorkspace.Ensure(ref ws.GradHiddenNext, state);
        float[] partial = RecurrentWorkspace.Ensure(ref ws.ColumnPartial, width);
        dbIh.Clear();
        dbHh.Clear();
        RecurrentOps.CopyOrZero(dhN, dh);

        for (int t = steps - 1; t >= 0; t--)
        {
            if (!dy.IsEmpty) TensorPrimitives.Add(dh, dy.Slice(t * state, state), dh);
            for (int b = 0; b < batch; b++)
            {
                int gOff = (t * batch + b) * width, sOff = b * hidden;
                ref float gRow = ref gates[gOff];
                ref float hcRow = ref hc[t * state + sOff];
                ref float hPrevRow = ref hs[t * state + sOff];
                ref float dhRow = ref dh[sOff];
                ref float dhPrevRow = ref dhPrev[sOff];
                ref float dGiRow = ref dGi[gOff];
                ref float dGhRow = ref dGh[gOff];
                int j = 0;
                if (Lane512.IsAccelerated) j = BackwardLanes<Lane512>(j, hidden, ref gRow, ref hcRow, ref hPrevRow, ref dhRow, ref dhPrevRow, ref dGiRow, ref dGhRow);
                if (Lane256.IsAccelerated) j = BackwardLanes<Lane256>(j, hidden, ref gRow, ref hcRow, ref hPrevRow, ref dhRow, ref dhPrevRow, ref dGiRow, ref dGhRow);
                BackwardLanes<LaneScalar>(j, hidden, ref gRow, ref hcRow, ref hPrevRow, ref dhRow, ref dhPrevRow, ref dGiRow, ref dGhRow);
            }
            RecurrentOps.AccumulateColumnSums(dGi.AsSpan(t * batch * width, batch * width), batch, width, dbIh, partial);
            RecurrentOps.AccumulateColumnSums(dGh.AsSpan(t * batch * width, batch * width), batch, width, dbHh, partial);
            // dh_{t-1} = z ⊙ dh_t (already in dhPrev) + dGh_t · W_hh.
            if (t > 0 || !dh0.IsEmpty)
                RecurrentOps.Sgemm(false, false, batch, hidden, width, 1f, dGh.AsSpan(t * batch * width, batch * width), width, wHh, hidden, 1f, dhPrev, hidden);
            (dh, dhPrev) = (dhPrev, dh);
        }
        if (!dh0.IsEmpty) dh.AsSpan().CopyTo(dh0);

        ReadOnlySpan<float> dGates = dGi, dHidden = dGh;
        if (!dWhh.IsEmpty)
            RecurrentOps.Sgemm(true, false, width, hidden, rows, 1f, dHidden, width, hs.AsSpan(0, rows * hidden), hidden, 0f, dWhh, hidden);
        if (!dWih.IsEmpty)
            RecurrentOps.Sgemm(true, false, width, ws.InputSize, rows, 1f, dGates, width, x, ws.InputSize, 0f, dWih, ws.InputSize);
        if (!dx.IsEmpty)
            RecurrentOps.Sgemm(false, false, rows, ws.InputSize, width, 1f, dGates, width, wIh, ws.InputSize, 0f, dx, ws.InputSize);
    }

    /// <summary>
    /// One row of the GRU cell backward for columns [j, n). Writes input-side (dGi) and hidden-side (dGh)
    /// pre-activation gradients, layout r | z | n, and the direct term z ⊙ dh of dh_{t-1}.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<V>(int j, int n, ref float g, ref float hc, ref float hPrev, ref float dh, ref float dhPrev,
        ref float dGi, ref float dGh) where V : struct, ISimdLane<V>
    {
        V one = V.Splat(1f);
        for (; j + V.Count <= n; j += V.Count)
        {
            V r = V.Load(ref g, j), z = V.Load(ref g, n + j), cand = V.Load(ref g, 2 * n + j);
            V dH = V.Load(ref dh, j);
            V dCand = dH * (one - z) * (one - cand * cand);
            V dZ = dH * (V.Load(ref hPrev, j) - cand) * z * (one - z);
            V dR = dCand * V.Load(ref hc, j) * r * (one - r);
            V.Store(dR, ref dGi, j);
            V.Store(dZ, ref dGi, n + j);
            V.Store(dCand, ref dGi, 2 * n + j);
            V.Store(dR, ref dGh, j);
            V.Store(dZ, ref dGh, n + j);
            V.Store(dCand * r, ref dGh, 2 * n + j);
            V.Store(dH * z, ref dhPrev, j);
        }
        return j;
    }
}
