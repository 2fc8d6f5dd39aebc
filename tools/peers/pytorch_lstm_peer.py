#!/usr/bin/env python3
"""PyTorch peer for the GPU benchmark: cuDNN nn.LSTM of the seed shape (2 x 512, embedding 512, vocabulary 65),
random weights, greedy or sampled generation.

Modes, at each batch size:
  eager-item  the usual sampling loop: one step, argmax, .item()/.tolist() per character (a host sync per step)
  graph       the step (embedding, LSTM, FC, argmax, feed back) captured in a CUDA graph and replayed; cuDNN's
              default math (TF32 allowed)
  graph-fp32  the same with TF32 disabled (strict float32, as our engine computes)
  graph-fp16  the graph with the model, h and c in float16 (cuDNN's half-precision LSTM: tensor cores, float32
              accumulation), as CudaPrecision.Float16 computes; graph-bf16 the same in bfloat16. PyTorch keeps a
              bfloat16 LSTM's weights in separate chunks (flatten_parameters() leaves them so: tried on the H100,
              2026-11-26) and warns that cuDNN compacts them at every call: that is PyTorch's bf16 LSTM as it ships,
              which is why our speed bars compare with graph-fp16.
  graph-sampled, graph-fp16-sampled
              the graph and graph-fp16 steps drawing each token as our benchmark's sampled rows do (temperature 0.8,
              top-k 20, top-p 0.95) instead of taking the argmax: logits / T in float32, top-k, softmax, the top-p cut on
              the running sum, then one draw by the exponential race (argmax of p / E with E ~ Exp(1), the same law as
              a multinomial draw, and the sampler fast serving stacks capture in graphs)
Timing: warm-up, then the median of 7 repeats, synchronized. Prints a markdown table and one JSON line per row.
Usage: python3 pytorch_lstm_peer.py [--modes MODE,...] [batch ...] (default: every mode; batches 1 64 1024 4096)
"""
import json
import statistics
import sys
import time

import torch

VOCAB, EMB, HIDDEN, LAYERS = 65, 512, 512, 2
ALL_MODES = ("eager-item", "graph", "graph-fp32", "graph-fp16", "graph-bf16", "graph-sampled", "graph-fp16-sampled")
TEMPERATURE, TOP_K, TOP_P = 0.8, 20, 0.95


def build(device, dtype=torch.float32):
    torch.manual_seed(42)
    emb = torch.nn.Embedding(VOCAB, EMB).to(device, dtype)
    lstm = torch.nn.LSTM(EMB, HIDDEN, LAYERS).to(device, dtype)
    fc = torch.nn.Linear(HIDDEN, VOCAB).to(device, dtype)
    return emb, lstm, fc


def steps_for(batch):
    return 2000 if batch == 1 else 1000 if batch <= 64 else 200 if batch <= 1024 else 60


@torch.inference_mode()
def eager_item(model, batch, steps):
    emb, lstm, fc = model
    dev = "cuda"
    tok = torch.zeros(1, batch, dtype=torch.long, device=dev)
    h = torch.zeros(LAYERS, batch, HIDDEN, device=dev)
    c = torch.zeros(LAYERS, batch, HIDDEN, device=dev)

    def run(n):
        nonlocal tok, h, c
        for _ in range(n):
            out, (h, c) = lstm(emb(tok), (h, c))
            nxt = fc(out).argmax(-1)
            ids = nxt.item() if batch == 1 else nxt.tolist()  # the host sync per character
            tok = nxt
        return ids

    run(20)
    times = []
    for _ in range(7):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        run(steps)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def draw(logits):
    """One token per row with the benchmark's sampled settings (see the module's doc)."""
    top, index = (logits.float() / TEMPERATURE).topk(TOP_K, dim=-1)
    p = torch.softmax(top, dim=-1)
    # Keep the shortest prefix whose sum reaches TOP_P: a token stays while the sum before it is still short.
    p = p.masked_fill(p.cumsum(-1) - p >= TOP_P, 0.0)
    race = p / torch.empty_like(p).exponential_()
    return index.gather(-1, race.argmax(-1, keepdim=True)).squeeze(-1)


@torch.inference_mode()
def graph(model, batch, steps, sampled=False):
    emb, lstm, fc = model
    dev = "cuda"
    dtype = fc.weight.dtype
    tok = torch.zeros(1, batch, dtype=torch.long, device=dev)
    h = torch.zeros(LAYERS, batch, HIDDEN, device=dev, dtype=dtype)
    c = torch.zeros(LAYERS, batch, HIDDEN, device=dev, dtype=dtype)

    def step():
        out, (h2, c2) = lstm(emb(tok), (h, c))
        logits = fc(out)
        tok.copy_(draw(logits) if sampled else logits.argmax(-1))
        h.copy_(h2)
        c.copy_(c2)

    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        step()
    for _ in range(20):
        g.replay()
    times = []
    for _ in range(7):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            g.replay()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    args = sys.argv[1:]
    modes = ALL_MODES
    if args[:1] == ["--modes"]:
        modes = tuple(args[1].split(","))
        unknown = sorted(set(modes) - set(ALL_MODES))
        if unknown:
            sys.exit(f"unknown mode(s) {', '.join(unknown)}: --modes takes a comma-separated list of {', '.join(ALL_MODES)}")
        args = args[2:]
    batches = [int(a) for a in args] or [1, 64, 1024, 4096]
    models = {"fp32": build("cuda"), "fp16": build("cuda", torch.float16), "bf16": build("cuda", torch.bfloat16)}
    print(f"# device: {torch.cuda.get_device_name()}; torch {torch.__version__}; cuDNN {torch.backends.cudnn.version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    print("| engine | mode | batch | steps | us/step | us/char | chars/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    rows = []
    for batch in batches:
        steps = steps_for(batch)
        for mode in modes:
            torch.backends.cudnn.allow_tf32 = mode != "graph-fp32"
            torch.backends.cuda.matmul.allow_tf32 = False
            model = next((m for name, m in models.items() if name in mode), models["fp32"])
            n = min(steps, 300) if mode == "eager-item" else steps
            seconds = eager_item(model, batch, n) if mode == "eager-item" else graph(model, batch, n, mode.endswith("-sampled"))
            per_step = seconds / n * 1e6
            row = {"engine": "PyTorch cuDNN", "mode": mode, "batch": batch, "steps": n, "us_per_step": per_step,
                   "us_per_char": per_step / batch, "chars_per_s": n * batch / seconds}
            rows.append(row)
            print(f"| PyTorch cuDNN | {mode} | {batch} | {n} | {per_step:.2f} | {per_step / batch:.4f} | {row['chars_per_s']:.0f} |",
                  flush=True)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
