#!/usr/bin/env python3
"""PyTorch side of ResearchKit's side-by-side benchmark (tests/ResearchKit.Benchmarks, SideBySide.cs).

Launched by the C# benchmark as a subprocess; runs the same workloads with the same shapes, step definitions and
statistics (mean, median and min over --steps timed steps after --warmup untimed ones) and prints one JSON object on
stdout. Progress goes to stderr. Exit code 3 with {"error": ...} on stdout when torch cannot be imported.

Keep the workload definitions in step with SideBySide.cs: a change on one side only makes the ratio meaningless.
"""
import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the C# side prints how to install it
    print(json.dumps({"error": f"cannot import torch: {e}"}))
    sys.exit(3)


# ---- models (same architectures as lib/ResearchKit/Models) ----

class BasicBlock(nn.Module):
    """CIFAR basic block with the option-A shortcut (strided identity, zero-padded channels), as ResNetCifar.cs."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride, self.in_planes, self.planes = stride, in_planes, planes

    def shortcut(self, x):
        if self.stride == 1 and self.in_planes == self.planes:
            return x
        s = x[:, :, ::self.stride, ::self.stride]
        extra = self.planes - self.in_planes
        return F.pad(s, (0, 0, 0, 0, extra // 2, extra - extra // 2))

    def forward(self, x):
        act1, act2 = getattr(self, "act1", F.relu), getattr(self, "act2", F.relu)
        y = act1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return act2(y + self.shortcut(x))


class ResNetCifar(nn.Module):
    """He et al. 2016 CIFAR ResNet, depth 6n+2, 16/32/64 channels, global average pool, linear head."""

    def __init__(self, depth=20, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        stages = []
        for s, width in enumerate([16, 32, 64]):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(in_planes, width, 2 if b == 0 and s > 0 else 1))
                in_planes = width
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.linear = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        x = getattr(self, "act", F.relu)(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(x.mean((2, 3)))


class SeqMnistLstm(nn.Module):
    """LSTM(1, 128, batch_first) + Linear(128, 10) on the last hidden state, as SeqMnistLstm.cs."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n.squeeze(0))


class MediumLstmLm(nn.Module):
    """word_language_model's RNNModel with --tied, as MediumLstmLm.cs: emb 650, 2 x LSTM 650, dropout 0.4."""

    def __init__(self, vocab, width=650, layers=2, dropout=0.4):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab, width)
        self.rnn = nn.LSTM(width, width, layers, dropout=dropout)
        self.decoder = nn.Linear(width, vocab)
        self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(tokens)), hidden)
        return self.decoder(self.drop(out)), hidden


# ---- workloads: each returns a step function (setup is untimed) ----

def sgemm_matmul():
    a, b = torch.rand(1024, 1024) - 0.5, torch.rand(1024, 1024) - 0.5
    return lambda: torch.matmul(a, b)


def sgemm_4096():
    a, b = torch.rand(4096, 4096), torch.rand(4096, 4096)
    return lambda: torch.matmul(a, b)


def sgemm_kernel():
    a, b, c = torch.rand(1024, 1024) - 0.5, torch.rand(1024, 1024) - 0.5, torch.empty(1024, 1024)
    return lambda: torch.mm(a, b, out=c)


def resnet_train(depth, convert=None):
    """A train step; `convert` turns the float model into another one first (resnet20-qat-train: quantize_resnet)."""
    def setup():
        model = (convert or (lambda m: m))(ResNetCifar(depth)).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        x, y = torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,))

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step
    return setup


# ---- W2/A2 fake quantization as lib/ResearchKit/Quantization (QuantSpec.DoReFaPact + ModelQuantizer) ----

def round_ste(x):
    return (torch.round(x) - x).detach() + x


def dorefa_weight(w, bits):
    """DoReFa/SAT weight (Eqs. 5.2-5.4): tanh clamp over the tensor, uniform b-bit grid, map to [-1, 1]."""
    a = float(2 ** bits - 1)
    t = torch.tanh(w)
    clamped = 0.5 * (t / t.abs().max() + 1.0)
    return 2.0 * (round_ste(clamped * a) / a) - 1.0


class PactFn(torch.autograd.Function):
    """PACT activation with a learned clip alpha; one fused pass each way, as PactActivationQuantizer."""

    @staticmethod
    def forward(ctx, x, alpha, steps):
        ctx.save_for_backward(x, alpha)
        step = alpha / steps
        return torch.round(torch.clamp(x, min=0.0, max=alpha.item()) / step) * step

    @staticmethod
    def backward(ctx, g):
        x, alpha = ctx.saved_tensors
        inside = (x >= 0) & (x < alpha)
        return g * inside, (g * (x >= alpha)).sum().reshape(alpha.shape), None


class Pact(nn.Module):
    def __init__(self, bits):
        super().__init__()
        self.alpha, self.steps = nn.Parameter(torch.tensor(10.0)), float(2 ** bits - 1)

    def forward(self, x):
        return PactFn.apply(x, self.alpha, self.steps)


class QConv2d(nn.Conv2d):
    def __init__(self, *args, bits=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits

    def forward(self, x):
        return self._conv_forward(x, dorefa_weight(self.weight, self.bits), self.bias)


class QLinear(nn.Linear):
    def __init__(self, *args, bits=8, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits

    def forward(self, x):
        return F.linear(x, dorefa_weight(self.weight, self.bits), self.bias)


def quantize_resnet(model, w_bits=2, a_bits=2, first_last_bits=8):
    """ModelQuantizer's placement: every conv and linear quantized (the stem conv and the classifier at 8 bits), every ReLU
    a PACT at A bits except the last one (which feeds the classifier) at 8 bits; residual adds leave a block through its
    post-add ReLU, so they are at A bits too."""
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    for n, m in convs:
        q = QConv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding, bias=m.bias is not None,
                    bits=first_last_bits if n == "conv1" else w_bits)
        q.weight = m.weight
        parent, _, leaf = n.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, leaf, q)
    lin = model.linear
    q = QLinear(lin.in_features, lin.out_features, bits=first_last_bits)
    q.weight, q.bias = lin.weight, lin.bias
    model.linear = q
    # The torch ResNet calls F.relu; give it PACT modules in the same places (stem, each block's two ReLUs).
    model.act = Pact(a_bits)
    blocks = [b for layer in (model.layer1, model.layer2, model.layer3) for b in layer]
    for b in blocks:
        b.act1, b.act2 = Pact(a_bits), Pact(a_bits)
    blocks[-1].act2 = Pact(first_last_bits)
    return model


def resnet20_pgd_step():
    """One PGD step as ResearchKit.Attacks.Pgd(steps=1): eval, parameters frozen, input gradient only, sign step, projection."""
    model = ResNetCifar(20).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x0, y = torch.rand(128, 3, 32, 32), torch.randint(0, 10, (128,))
    eps, alpha = 8 / 255, 2 / 255

    def step():
        x = x0.clone().requires_grad_()
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
        with torch.no_grad():
            torch.min(torch.max(x0 + alpha * g.sign(), x0 - eps), x0 + eps).clamp(0, 1)
    return step


def resnet_infer(depth, fold=False, optimize=False):
    def setup():
        model = ResNetCifar(depth).eval()
        if fold:
            fold_batch_norms(model)
        x = torch.randn(256, 3, 32, 32)
        if optimize:
            # PyTorch's own inference fusion: freeze the traced model, then fold batch norms and fuse conv + relu (+ add)
            # into oneDNN kernels with their layouts (torch.jit.optimize_for_inference).
            with torch.no_grad():
                model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))

        def step():
            with torch.no_grad():
                model(x)
        return step
    return setup


def resnet_infer_int8():
    """Post-training static quantization (FX graph mode) on PyTorch's x86 int8 engine: fbgemm where the build has it, else
    onednn (Debian's 1.13 has onednn and qnnpack); conv + bn + relu fused, the residual add as quantized add_relu."""
    def setup():
        from torch.ao.quantization import get_default_qconfig_mapping
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
        engines = torch.backends.quantized.supported_engines
        engine = "fbgemm" if "fbgemm" in engines else "onednn" if "onednn" in engines else None
        if engine is None:
            raise RuntimeError(f"no x86 int8 engine in this torch build (engines: {engines})")
        torch.backends.quantized.engine = engine
        model = ResNetCifar(20).eval()
        x = torch.randn(256, 3, 32, 32)
        prepared = prepare_fx(model, get_default_qconfig_mapping(engine), example_inputs=(x,))
        with torch.no_grad():
            prepared(x)  # calibration
        q = convert_fx(prepared)

        def step():
            with torch.no_grad():
                q(x)
        return step
    return setup


def fold_batch_norms(model):
    """Every (conv, bn) pair folded as torch.nn.utils.fusion.fuse_conv_bn_eval does; the bn becomes Identity."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    model.conv1, model.bn1 = fuse_conv_bn_eval(model.conv1, model.bn1), nn.Identity()
    for m in model.modules():
        if isinstance(m, BasicBlock):
            m.conv1, m.bn1 = fuse_conv_bn_eval(m.conv1, m.bn1), nn.Identity()
            m.conv2, m.bn2 = fuse_conv_bn_eval(m.conv2, m.bn2), nn.Identity()


def lstm_seqmnist():
    model = SeqMnistLstm()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.rand(100, 784, 1), torch.randint(0, 10, (100,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


LM_VOCAB, LM_BATCH, LM_BPTT = 10_000, 20, 35


def lstm_lm_medium():
    model = MediumLstmLm(LM_VOCAB).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, LM_VOCAB, (LM_BPTT, LM_BATCH))
    y = torch.randint(0, LM_VOCAB, (LM_BPTT, LM_BATCH))
    state = {"hidden": None}

    def step():
        opt.zero_grad(set_to_none=True)
        logits, hidden = model(x, state["hidden"])
        state["hidden"] = tuple(h.detach() for h in hidden)  # repackage_hidden: truncated BPTT
        F.cross_entropy(logits.reshape(-1, LM_VOCAB), y.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
    return step


def pgd_resnet20():
    model = ResNetCifar(20).eval()
    x0, y = torch.rand(128, 3, 32, 32), torch.randint(0, 10, (128,))
    eps, alpha = 8 / 255, 2 / 255
    x_adv = x0.clone()

    def step():
        x = x_adv.detach().requires_grad_()
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
        with torch.no_grad():
            x_adv.add_(g.sign() * alpha)
            x_adv.copy_(torch.minimum(torch.maximum(x_adv, x0 - eps), x0 + eps).clamp(0, 1))
    return step


WORKLOADS = {
    "sgemm-matmul": sgemm_matmul,
    "sgemm-kernel": sgemm_kernel,
    "sgemm-4096": sgemm_4096,
    "resnet20-train": resnet_train(20),
    "resnet20-qat-train": resnet_train(20, quantize_resnet),
    "resnet20-pgd-step": resnet20_pgd_step,
    "resnet20-infer": resnet_infer(20),
    "resnet20-infer-folded": resnet_infer(20, fold=True),
    "resnet20-infer-fused": resnet_infer(20, optimize=True),
    "resnet20-infer-int8": resnet_infer_int8(),
    "resnet32-train": resnet_train(32),
    "resnet32-infer": resnet_infer(32),
    "lstm-seqmnist": lstm_seqmnist,
    "lstm-lm-medium": lstm_lm_medium,
    "pgd-resnet20": pgd_resnet20,
}


def peak_rss_kib():
    """Peak RSS of this process in KiB: VmHWM from /proc/self/status, as the C# side reads it.

    resource.getrusage's ru_maxrss is only the fallback: Linux carries ru_maxrss across execve, so in a subprocess of
    the .NET benchmark it reports the parent's (larger) peak, not PyTorch's.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def reset_peak_rss():
    """Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so each workload gets its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def loaded_blas():
    """The BLAS/LAPACK/oneDNN libraries actually mapped: Debian's torch uses whatever libblas.so.3 the alternatives
    system selects, and the reference (netlib) BLAS is 100x slower than OpenBLAS, so the C# side warns about it."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if any(k in path for k in ("blas", "mkl", "blis", "dnnl")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--probe", action="store_true", help="only check that torch imports")
    p.add_argument("--threads", default="1", help="comma-separated thread counts")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="cpu", help="cpu, or cuda: every workload's tensors and models on the first GPU, each step synchronized")
    args = p.parse_args()
    if args.device != "cpu":
        if not hasattr(torch, "set_default_device"):
            print(json.dumps({"error": f"--device {args.device} needs PyTorch 2.0 or later (torch.set_default_device), this is {torch.__version__}"}))
            sys.exit(2)
        if args.device.startswith("cuda") and not torch.cuda.is_available():
            print(json.dumps({"error": "--device cuda: torch.cuda.is_available() is False"}))
            sys.exit(2)
        torch.set_default_device(args.device)  # factories and module parameters are created there
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    if args.probe:
        print(json.dumps({"torch": torch.__version__}))
        return
    torch.manual_seed(0)
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for name in args.workloads.split(","):
            if name not in WORKLOADS:
                print(json.dumps({"error": f"unknown workload {name}"}))
                sys.exit(2)
            print(f"  [pytorch] {name}, {threads} threads ...", file=sys.stderr, flush=True)
            gc.collect()
            reset_ok = reset_peak_rss()
            step = WORKLOADS[name]()
            for _ in range(args.warmup):
                step()
            sync()
            times = []
            for _ in range(args.steps):
                t0 = time.perf_counter()
                step()
                sync()
                times.append((time.perf_counter() - t0) * 1000.0)
            del step
            results.append({
                "workload": name, "threads": threads, "steps": args.steps, "warmup": args.warmup,
                "mean_ms": statistics.fmean(times), "median_ms": statistics.median(times), "min_ms": min(times),
                "peak_rss_kib": peak_rss_kib(),
                "peak_rss_per_workload": reset_ok,
            })
    print(json.dumps({
        "torch": torch.__version__, "python": sys.version.split()[0],
        "mkldnn": torch.backends.mkldnn.is_available(), "interop_threads": torch.get_num_interop_threads(),
        "blas": loaded_blas(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
