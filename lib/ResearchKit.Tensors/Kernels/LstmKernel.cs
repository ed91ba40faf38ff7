using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Whole-sequence LSTM kernels for one layer and one direction, with PyTorch <c>nn.LSTM</c> math, gate order
/// (i, f, g, o) and parameter layout: W_ih [4H, I], W_hh [4H, H], b_ih [4H], b_hh [4H].
/// </summary>
/// <remarks>
/// <code>
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)   f = σ(…f…)   g = tanh(…g…)   o = σ(…o…)
/// c' = f ⊙ c + i ⊙ g                     h' = o ⊙ tanh(c')
/// </code>
/// Tensors are row-major and contiguous: x [T, B, I] time-major, states [B, H], y [T, B, H].
/// Forward does one GEMM for the input projection of all T·B rows, then per step one GEMM h·W_hhᵀ and a fused
/// pointwise cell update. Backward does one GEMM per step for dh, then dW_hh, dW_ih and dx as one GEMM each.
/// All outputs are overwritten (not accumulated). Results are deterministic for a given thread count.
/// </remarks>
public static class LstmKernel
{
    /// <summary>Number of stacked gates (i, f, g, o).</summary>
    public const int GateCount = 4;

    /// <summary>Runs the LSTM over the whole sequence and saves what <see cref="Backward"/> needs in <paramref name="workspace"/>.</summary>
    /// <param name="workspace">Geometry and saved state; reused across calls.</param>
    /// <param name="x">Input [T, B, I].</param>
    /// <param name="h0">Initial hidden state [B, H], or empty for zeros.</param>
    /// <param name="c0">Initial cell state [B, H], or empty for zeros.</param>
    /// <param name="wIh">weight_ih [4H, I].</param>
    /// <param name="wHh">weight_hh [4H, H].</param>
    /// <param name="bIh">bias_ih [4H], or empty (then <paramref name="bHh"/> must be empty too) for no bias.</param>
    /// <param name="bHh">bias_hh [4H], or empty.</param>
    /// <param name="y">Receives all hidden states [T, B, H], or empty to skip.</param>
    /// <param name="hN">Receives h_T [B, H], or empty to skip.</param>
    /// <param name="cN">Receives c_T [B, H], or empty to skip.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry.</exception>
    public static void Forward(LstmWorkspace workspace, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, Span<float> hN, Span<float> cN)
    {
        const string op = "LstmKernel.Forward";
        ArgumentNullException.ThrowIfNull(workspace);
        var ws = workspace;
        bool hasBias = ws.CheckForward(op, x, h0, wIh, wHh, bIh, bHh, y, hN);
        ws.CheckOptional(op, "c0", c0.Length, ws.StateSize, "[batch, hiddenSize]", "start from zeros");
        ws.CheckOptional(op, "c_n", cN.Length, ws.StateSize, "[batch, hiddenSize]", "skip the final cell state");
        ws.HasForward = false;

        int steps = ws.SeqLen, batch = ws.Batch, hidden = ws.HiddenSize, width = ws.GateWidth, state = ws.StateSize;
        float[] gates = ws.Gates, hs = ws.Hidden, cs = ws.Cells;
        if (hasBias) TensorPrimitives.Add(bIh, bHh, ws.BiasRow);
        ReadOnlySpan<float> bias = hasBias ? ws.BiasRow : default;
        RecurrentOps.InputProjection(x, wIh, gates, ws.Rows, ws.InputSize, width);
        RecurrentOps.CopyOrZero(h0, hs.AsSpan(0, state));
        RecurrentOps.CopyOrZero(c0, cs.AsSpan(0, state));

        for (int t = 0; t < steps; t++)
        {
            Span<float> g = gates.AsSpan(t * batch * width, batch * width);
            RecurrentOps.Sgemm(false, true, batch, width, hidden, 1f, hs.AsSpan(t * state, state), hidden, wHh, hidden, 1f, g, width);
            for (int b = 0; b < batch; b++)
            {
                int s = t * state + b * hidden;
                CellRow(g.Slice(b * width, width), bias, cs.AsSpan(s, hidden), cs.AsSpan(s + state, hidden), hs.AsSpan(s + state, hidden), hidden);
            }
        }

        if (!y.IsEmpty) hs.AsSpan(state, steps * state).CopyTo(y);
        if (!hN.IsEmpty) hs.AsSpan(steps * state, state).CopyTo(hN);
        if (!cN.IsEmpty) cs.AsSpan(steps * state, state).CopyTo(cN);
        ws.HasForward = true;
    }

    /// <summary>
    /// Adds the combined bias (if any) to one batch row's gate pre-activations, activates them in place and writes
    /// c' and h' (fused Vector512 pass, TensorPrimitives tail).
    /// </summary>
    private static void CellRow(Span<float> g, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h, int hidden)
    {
        int j = 0;
        bool hasBias = !bias.IsEmpty;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float cp = ref MemoryMarshal.GetReference(cPrev);
            ref float cr = ref MemoryMarshal.GetReference(c);
            ref float hr = ref MemoryMarshal.GetReference(h);
            ref float br = ref MemoryMarshal.GetReference(bias);
            nuint n = (nuint)hidden;
            for (; j + 16 <= hidden; j += 16)
            {
                nuint k = (nuint)j;
                Vector512<float> pi = Vector512.LoadUnsafe(ref gr, k), pf = Vector512.LoadUnsafe(ref gr, n + k);
                Vector512<float> pg = Vector512.LoadUnsafe(ref gr, 2 * n + k), po = Vector512.LoadUnsafe(ref gr, 3 * n + k);
                if (hasBias)
                {
                    pi += Vector512.LoadUnsafe(ref br, k);
                    pf += Vector512.LoadUnsafe(ref br, n + k);
                    pg += Vector512.LoadUnsafe(ref br, 2 * n + k);
                    po += Vector512.LoadUnsafe(ref br, 3 * n + k);
                }
                Vector512<float> i = SimdActivations.Sigmoid(pi), f = SimdActivations.Sigmoid(pf);
                Vector512<float> cand = SimdActivations.Tanh(pg), o = SimdActivations.Sigmoid(po);
                i.StoreUnsafe(ref gr, k);
                f.StoreUnsafe(ref gr, n + k);
                cand.StoreUnsafe(ref gr, 2 * n + k);
                o.StoreUnsafe(ref gr, 3 * n + k);
                Vector512<float> cNew = Vector512.FusedMultiplyAdd(f, Vector512.LoadUnsafe(ref cp, k), i * cand);
                cNew.StoreUnsafe(ref cr, k);
                (o * SimdActivations.Tanh(cNew)).StoreUnsafe(ref hr, k);
            }
        }
        if (j == hidden) return;
        int w = hidden - j;
        if (hasBias)
            for (int k = 0; k < GateCount; k++) TensorPrimitives.Add(g.Slice(k * hidden + j, w), bias.Slice(k * hidden + j, w), g.Slice(k * hidden + j, w));
        Span<float> inG = g.Slice(j, w), forG = g.Slice(hidden + j, w), candG = g.Slice(2 * hidden + j, w), outG = g.Slice(3 * hidden + j, w);
        Span<float> cT = c[j..], hT = h[j..];
        TensorPrimitives.Sigmoid(inG, inG);
        TensorPrimitives.Sigmoid(forG, forG);
        SimdActivations.Tanh(candG, candG);
        TensorPrimitives.Sigmoid(outG, outG);
        TensorPrimitives.Multiply(forG, cPrev[j..], cT);
        TensorPrimitives.FusedMultiplyAdd(inG, candG, cT, cT);
        SimdActivations.Tanh(cT, hT);
        TensorPrimitives.Multiply(hT, outG, hT);
    }

    /// <summary>
    /// Backpropagates through the whole sequence saved by the last <see cref="Forward"/> on <paramref name="workspace"/>.
    /// Every gradient output is optional (empty = not needed) and is overwritten, not accumulated.
    /// </summary>
    /// <param name="workspace">The workspace filled by <see cref="Forward"/>; it is not modified, so backward may be repeated.</param>
    /// <param name="x">The same input [T, B, I] passed to forward (needed for dW_ih).</param>
    /// <param name="wIh">The same weight_ih [4H, I].</param>
    /// <param name="wHh">The same weight_hh [4H, H].</param>
    /// <param name="dy">Gradient wrt y [T, B, H], or empty for zeros.</param>
    /// <param name="dhN">Gradient wrt h_n [B, H], or empty for zeros.</param>
    /// <param name="dcN">Gradient wrt c_n [B, H], or empty for zeros.</param>
    /// <param name="dx">Receives dL/dx [T, B, I], or empty.</param>
    /// <param name="dh0">Receives dL/dh0 [B, H], or empty.</param>
    /// <param name="dc0">Receives dL/dc0 [B, H], or empty.</param>
    /// <param name="dWih">Receives dL/dW_ih [4H, I], or empty.</param>
    /// <param name="dWhh">Receives dL/dW_hh [4H, H], or empty.</param>
    /// <param name="dbIh">Receives dL/db_ih [4H], or empty.</param>
    /// <param name="dbHh">Receives dL/db_hh [4H] (equal to dL/db_ih for an LSTM), or empty.</param>
    /// <exception cref="ArgumentException">A span length does not match the workspace geometry.</exception>
    /// <exception cref="InvalidOperationException">The workspace holds no completed forward pass.</exception>
    public static void Backward(LstmWorkspace workspace, ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN,
        Span<float> dx, Span<float> dh0, Span<float> dc0, Span<float> dWih, Span<float> dWhh, Span<float> dbIh, Span<float> dbHh)
    {
        const string op = "LstmKernel.Backward";
        ArgumentNullException.ThrowIfNull(workspace);
        var ws = workspace;
        ws.CheckBackward(op, x, wIh, wHh, dy, dhN, dx, dh0, dWih, dWhh, dbIh, dbHh);
        ws.CheckOptional(op, "dc_n", dcN.Length, ws.StateSize, "[batch, hiddenSize]", "treat the upstream gradient of c_n as zeros");
        ws.CheckOptional(op, "dc0", dc0.Length, ws.StateSize, "[batch, hiddenSize]", "skip the initial-cell gradient");

        int steps = ws.SeqLen, batch = ws.Batch, hidden = ws.HiddenSize, width = ws.GateWidth, state = ws.StateSize, rows = ws.Rows;
        float[] gates = ws.Gates, hs = ws.Hidden, cs = ws.Cells;
        float[] dG = RecurrentWorkspace.Ensure(ref ws.GradGates, gates.Length);
        float[] dh = RecurrentWorkspace.Ensure(ref ws.GradHidden, state);
        float[] dc = RecurrentWorkspace.Ensure(ref ws.GradCell, state);
        float[] tc = RecurrentWorkspace.Ensure(ref ws.TanhCell, state);
        float[] partial = RecurrentWorkspace.Ensure(ref ws.ColumnPartial, width);
        Span<float> db = dbIh.IsEmpty ? dbHh : dbIh; // identical for an LSTM: compute once, copy at the end
        db.Clear();
        RecurrentOps.CopyOrZero(dhN, dh);
        RecurrentOps.CopyOrZero(dcN, dc);

        for (int t = steps - 1; t >= 0; t--)
        {
            if (!dy.IsEmpty) TensorPrimitives.Add(dh, dy.Slice(t * state, state), dh);
            SimdActivations.Tanh(cs.AsSpan((t + 1) * state, state), tc);
            Span<float> dGt = dG.AsSpan(t * batch * width, batch * width);
            for (int b = 0; b < batch; b++)
            {
                int gOff = (t * batch + b) * width, sOff = b * hidden;
                ref float gRow = ref gates[gOff];
                ref float tcRow = ref tc[sOff];
                ref float cPrevRow = ref cs[t * state + sOff];
                ref float dhRow = ref dh[sOff];
                ref float dcRow = ref dc[sOff];
                ref float dgRow = ref dG[gOff];
                int j = 0;
                if (Lane512.IsAccelerated) j = BackwardLanes<Lane512>(j, hidden, ref gRow, ref tcRow, ref cPrevRow, ref dhRow, ref dcRow, ref dgRow);
                if (Lane256.IsAccelerated) j = BackwardLanes<Lane256>(j, hidden, ref gRow, ref tcRow, ref cPrevRow, ref dhRow, ref dcRow, ref dgRow);
                BackwardLanes<LaneScalar>(j, hidden, ref gRow, ref tcRow, ref cPrevRow, ref dhRow, ref dcRow, ref dgRow);
            }
            RecurrentOps.AccumulateColumnSums(dGt, batch, width, db, partial);
            // dh_{t-1} = dGates_t · W_hh; not needed below t = 0 unless the caller wants dh0.
            if (t > 0 || !dh0.IsEmpty)
                RecurrentOps.Sgemm(false, false, batch, hidden, width, 1f, dGt, width, wHh, hidden, 0f, dh, hidden);
        }
        if (!dh0.IsEmpty) dh.AsSpan().CopyTo(dh0);
        if (!dc0.IsEmpty) dc.AsSpan().CopyTo(dc0);

        ReadOnlySpan<float> dGates = dG;
        if (!dWhh.IsEmpty)
            RecurrentOps.Sgemm(true, false, width, hidden, rows, 1f, dGates, width, hs.AsSpan(0, rows * hidden), hidden, 0f, dWhh, hidden);
        if (!dWih.IsEmpty)
            RecurrentOps.Sgemm(true, false, width, ws.InputSize, rows, 1f, dGates, width, x, ws.InputSize, 0f, dWih, ws.InputSize);
        if (!dx.IsEmpty)
            RecurrentOps.Sgemm(false, false, rows, ws.InputSize, width, 1f, dGates, width, wIh, ws.InputSize, 0f, dx, ws.InputSize);
        if (!dbIh.IsEmpty && !dbHh.IsEmpty) dbIh.CopyTo(dbHh);
    }

    /// <summary>
    /// One row of the LSTM cell backward for columns [j, n): gate pre-activation gradients and the carried cell gradient.
    /// Layout of <paramref name="g"/> and <paramref name="dG"/>: i | f | g | o, each <paramref name="n"/> wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<V>(int j, int n, ref float g, ref float tc, ref float cPrev, ref float dh, ref float dc, ref float dG)
        where V : struct, ISimdLane<V>
    {
        V one = V.Splat(1f);
        for (; j + V.Count <= n; j += V.Count)
        {
            V i = V.Load(ref g, j), f = V.Load(ref g, n + j), c = V.Load(ref g, 2 * n + j), o = V.Load(ref g, 3 * n + j);
            V tanhC = V.Load(ref tc, j), dH = V.Load(ref dh, j);
            V dC = V.Load(ref dc, j) + dH * o * (one - tanhC * tanhC);
            V.Store(dC * c * i * (one - i), ref dG, j);
            V.Store(dC * V.Load(ref cPrev, j) * f * (one - f), ref dG, n + j);
            V.Store(dC * i * (one - c * c), ref dG, 2 * n + j);
            V.Store(dH * tanhC * o * (one - o), ref dG, 3 * n + j);
            V.Store(dC * f, ref dc, j);
        }
        return j;
    }
}
