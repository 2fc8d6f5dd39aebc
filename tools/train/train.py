#!/usr/bin/env python3
"""Train, export and verify the project's default model (sampleCharRNN's network) on tiny Shakespeare.

Network (sampleCharRNN / tensorflow-char-rnn, FACTS.md section 2):
  embedding 65x512 -> 2-layer LSTM, hidden 512 (nn.LSTM / cuDNN; no forget-bias constant, i.e. TF
  BasicLSTMCell(forget_bias=0.0)) -> Linear(512, 65).
  Dropout as tensorflow-char-rnn's --dropout (DropoutWrapper output_keep_prob on every cell): on the output of
  each LSTM layer (between the layers and before the softmax layer); input dropout off by default, as there.
Vocabulary: sampleCharRNN's hard-coded 65-character map (ids in that exact order).
Split: first 90% train, next 5% validation, last 5% test (tensorflow-char-rnn's trainer).
Perplexity: stateful over a whole split; state starts at zero, the split's first character is context only,
  every later character is predicted from all characters before it (N-1 predictions), ppl = exp(mean NLL).
Export: TensorRT V2 .wts with TensorFlow names and layout (kernel [in+hidden, 4*hidden], gate columns i|j|f|o).
Verification: an independent float64 LSTM written from the TF formulas, fed from the tensors read back from the
  written .wts files, gives validation/test perplexity, the fixed-slice perplexity and greedy continuations.

Usage: PYTHONUNBUFFERED=1 python3 tools/train/train.py --data tinyshakespeare.txt --out OUTDIR [--epochs N]
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wtsio  # noqa: E402

# sampleCharRNN's idToChar (FACTS.md section 2); id = index in this string.
VOCAB = "\n! $'&-,.3;:?ACBEDGFIHKJMLONQPSRUTWVYXZacbedgfihkjmlonqpsrutwvyxz"
assert len(VOCAB) == 65 and len(set(VOCAB)) == 65
assert VOCAB[:5] == "\n! $'" and VOCAB[9] == "3" and VOCAB[13:16] == "ACB" and VOCAB[-1] == "z"
CHAR_TO_ID = {ch: i for i, ch in enumerate(VOCAB)}

# sampleCharRNN's ten prime strings (TensorRT samples/sampleCharRNN/sampleCharRNN.cpp, initializeSampleParams).
PRIMES = ["ROMEO", "JUL", "The K", "That tho", "KING", "beauty of", "birth of K", "Hi", "JACK",
          "interestingly, it was J"]

FORGET_BIAS = 0.0  # tensorflow-char-rnn: BasicLSTMCell(hidden, forget_bias=0.0)


def split_sizes(n):
    n_train = int(n * 0.9)
    n_valid = int(n * 0.05)
    return n_train, n_valid, n - n_train - n_valid


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="tinyshakespeare.txt")
    p.add_argument("--out", required=True, help="output folder (.wts, results.json, reference.json)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--embedding", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.5, help="on each LSTM layer's output (tf-char-rnn --dropout)")
    p.add_argument("--input-dropout", type=float, default=0.0, help="on the embedding output (tf-char-rnn default 0)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr", type=float, default=2e-5)
    p.add_argument("--warmup-steps", type=int, default=100)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--epochs", type=int, default=40,
                   help="cosine schedule length; 0 = choose from the measured speed and --train-seconds")
    p.add_argument("--max-epochs", type=int, default=400)
    p.add_argument("--train-seconds", type=float, default=420.0, help="wall-time budget of the training loop")
    p.add_argument("--gen-length", type=int, default=100)
    p.add_argument("--name", default="shakespeare-2x512")
    p.add_argument("--smoke", action="store_true",
                   help="quick end-to-end check of the whole pipeline: 1 short epoch, 3000-char val/test")
    return p.parse_args()


def main():
    args = parse_args()
    t_script = time.time()
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    dev = torch.device("cuda")
    os.makedirs(args.out, exist_ok=True)

    def tf32(on):
        torch.backends.cudnn.allow_tf32 = on
        torch.backends.cuda.matmul.allow_tf32 = on

    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "args": vars(args),
    }
    print("info:", json.dumps(info), flush=True)

    # ---------------- data ----------------
    with open(args.data, "r", encoding="utf-8") as f:
        text = f.read()
    bad = sorted(set(text) - set(VOCAB))
    assert not bad, "characters outside sampleCharRNN's map: %r" % bad
    n = len(text)
    n_train, n_valid, n_test = split_sizes(n)
    print("chars %d: train %d valid %d test %d" % (n, n_train, n_valid, n_test), flush=True)
    if n == 1115394:
        assert (n_train, n_valid, n_test) == (1003854, 55769, 55771)
    ids = torch.tensor([CHAR_TO_ID[ch] for ch in text], dtype=torch.long, device=dev)
    train_ids = ids[:n_train]
    valid_ids = ids[n_train:n_train + n_valid]
    test_ids = ids[n_train + n_valid:]
    V, E, H, L = len(VOCAB), args.embedding, args.hidden, args.layers
    if args.smoke:
        train_ids = train_ids[:args.batch * args.seq * 8 + args.seq]
        valid_ids = valid_ids[:3000]
        test_ids = test_ids[:3000]
        args.epochs = 2
        args.gen_length = 10
        print("SMOKE RUN: %d train chars, 3000-char val/test" % len(train_ids), flush=True)
    n_train_used = len(train_ids)

    # ---------------- model ----------------
    class CharRnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, E)
            self.in_drop = nn.Dropout(args.input_dropout)
            self.lstm = nn.LSTM(E, H, num_layers=L, batch_first=True, dropout=args.dropout if L > 1 else 0.0)
            self.out_drop = nn.Dropout(args.dropout)
            self.fc = nn.Linear(H, V)

        def forward(self, x, state=None):
            y, state = self.lstm(self.in_drop(self.emb(x)), state)
            return self.fc(self.out_drop(y)), state

    model = CharRnn().to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    print("parameters: %d" % n_params, flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.99), fused=True)

    @torch.no_grad()
    def lstm_ppl(split_ids, chunk=8192):
        """Stateful batch-1 perplexity with nn.LSTM in float32 (TF32 off)."""
        was_training = model.training
        model.eval()
        tf32(False)
        x = split_ids[:-1].view(1, -1)
        y = split_ids[1:].view(1, -1)
        state = None
        total = torch.zeros((), dtype=torch.float64, device=dev)
        for s in range(0, x.shape[1], chunk):
            logits, state = model(x[:, s:s + chunk], state)
            total += F.cross_entropy(logits.reshape(-1, V).float(), y[:, s:s + chunk].reshape(-1),
                                     reduction="sum").double()
        tf32(True)
        model.train(was_training)
        return math.exp(total.item() / y.shape[1])

    # ---------------- training ----------------
    gen = torch.Generator(device="cpu")
    gen.manual_seed(args.seed)
    B, T = args.batch, args.seq
    steps_per_epoch = ((n_train_used - 1 - (T - 1)) // B) // T
    E_total = args.epochs if args.epochs > 0 else None
    step = 0
    history = []
    best = {"val_ppl": float("inf"), "epoch": 0, "state": None}
    t_train0 = time.time()
    t_epoch_train = None
    t_eval = None

    def lr_at(step):
        if step < args.warmup_steps:
            return args.lr * (step + 1) / args.warmup_steps
        if E_total is None:
            return args.lr
        total = E_total * steps_per_epoch
        prog = min(1.0, (step - args.warmup_steps) / max(1, total - args.warmup_steps))
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1.0 + math.cos(math.pi * prog))

    def should_eval(epoch):
        if epoch == 1 or E_total is None or epoch >= E_total:
            return True
        return epoch % 5 == 0 or epoch > 0.65 * E_total

    tf32(True)
    model.train()
    epoch = 0
    stop_reason = "epochs done"
    while True:
        epoch += 1
        if E_total is not None and epoch > E_total:
            epoch -= 1
            break
        if epoch > 1:
            elapsed = time.time() - t_train0
            need = t_epoch_train * 1.05 + (t_eval if should_eval(epoch) else 0.0)
            if elapsed + need > args.train_seconds:
                stop_reason = "time budget (%.0f s) reached before epoch %d" % (args.train_seconds, epoch)
                epoch -= 1
                break
        te0 = time.time()
        r = int(torch.randint(0, T, (1,), generator=gen).item())
        Ls = (n_train_used - 1 - r) // B
        X = train_ids[r:r + B * Ls].view(B, Ls)
        Y = train_ids[r + 1:r + 1 + B * Ls].view(B, Ls)
        state = None
        loss_sum = torch.zeros((), device=dev)
        t_mark = None
        for s in range(steps_per_epoch):
            if epoch == 1 and s == 5:
                torch.cuda.synchronize()
                t_mark = time.time()
            lr = lr_at(step)
            for g in opt.param_groups:
                g["lr"] = lr
            x = X[:, s * T:(s + 1) * T]
            y = Y[:, s * T:(s + 1) * T]
            logits, state = model(x, state)
            state = (state[0].detach(), state[1].detach())
            loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            loss_sum += loss.detach()
            step += 1
        train_loss = loss_sum.item() / steps_per_epoch
        t_now = time.time()
        if epoch == 1:
            t_epoch_train = (t_now - t_mark) * steps_per_epoch / (steps_per_epoch - 5)
        else:
            t_epoch_train = 0.7 * t_epoch_train + 0.3 * (t_now - te0)
        rec = {"epoch": epoch, "step": step, "lr": lr, "train_loss": train_loss, "epoch_s": t_now - te0}
        if should_eval(epoch):
            tv0 = time.time()
            vp = lstm_ppl(valid_ids)
            t_eval = time.time() - tv0
            rec["val_ppl"] = vp
            if vp < best["val_ppl"]:
                best = {"val_ppl": vp, "epoch": epoch,
                        "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
        rec["elapsed_s"] = time.time() - t_train0
        history.append(rec)
        print("epoch %3d step %6d lr %.2e train_loss %.4f%s  (epoch %.2fs, elapsed %.1fs)" % (
            epoch, step, lr, train_loss,
            ("  val_ppl %.4f%s" % (rec["val_ppl"], " *" if best["epoch"] == epoch else "")) if "val_ppl" in rec else "",
            rec["epoch_s"], rec["elapsed_s"]), flush=True)
        if not math.isfinite(train_loss):
            stop_reason = "non-finite loss"
            break
        if E_total is None:
            remaining = args.train_seconds - (time.time() - t_train0)
            per_epoch = t_epoch_train + 0.5 * t_eval
            E_total = max(2, min(args.max_epochs, 1 + int(0.97 * remaining / per_epoch)))
            print("timing: %.3f s/epoch training (%d steps of %dx%d), %.3f s per validation -> %d epochs" % (
                t_epoch_train, steps_per_epoch, B, T, t_eval, E_total), flush=True)
    train_wall = time.time() - t_train0
    print("training stopped after epoch %d (%s); wall %.1f s; best val ppl %.4f at epoch %d" % (
        epoch, stop_reason, train_wall, best["val_ppl"], best["epoch"]), flush=True)

    model.load_state_dict(best["state"])
    val_lstm = lstm_ppl(valid_ids)
    test_lstm = lstm_ppl(test_ids)
    print("nn.LSTM fp32 (TF32 off), best checkpoint: val ppl %.6f  test ppl %.6f" % (val_lstm, test_lstm), flush=True)

    # ---------------- export (TF names and layout) ----------------
    with torch.no_grad():
        perm = torch.cat([torch.arange(0, H), torch.arange(2 * H, 3 * H), torch.arange(H, 2 * H),
                          torch.arange(3 * H, 4 * H)]).to(dev)  # PyTorch i|f|g|o -> TF i|j|f|o (j = g)
        tensors = {"embedding": model.emb.weight.detach().float()}
        for k in range(L):
            w_ih = getattr(model.lstm, "weight_ih_l%d" % k).detach().float()
            w_hh = getattr(model.lstm, "weight_hh_l%d" % k).detach().float()
            b = (getattr(model.lstm, "bias_ih_l%d" % k) + getattr(model.lstm, "bias_hh_l%d" % k)).detach().float()
            kernel = torch.cat([w_ih.t(), w_hh.t()], 0)[:, perm].contiguous()
            tensors["rnn_multi_rnn_cell_cell_%d_basic_lstm_cell_kernel" % k] = kernel
            tensors["rnn_multi_rnn_cell_cell_%d_basic_lstm_cell_bias" % k] = b[perm].contiguous()
        tensors["softmax_softmax_w"] = model.fc.weight.detach().float().t().contiguous()
        tensors["softmax_softmax_b"] = model.fc.bias.detach().float().contiguous()

    def records(dtype, type_code):
        out = []
        for name, t in tensors.items():
            a = t.to(dtype).cpu().contiguous().numpy()
            assert np.isfinite(a.astype(np.float32)).all(), name
            out.append((name, type_code, tuple(a.shape), a.astype(a.dtype.newbyteorder("<")).tobytes()))
        return out

    f32_path = os.path.join(args.out, args.name + ".f32.wts")
    f16_path = os.path.join(args.out, args.name + ".wts")
    wtsio.write_wts(f32_path, records(torch.float32, 0))
    wtsio.write_wts(f16_path, records(torch.float16, 1))
    print("wrote %s (%d bytes) and %s (%d bytes)" % (f32_path, os.path.getsize(f32_path), f16_path,
                                                     os.path.getsize(f16_path)), flush=True)

    # ---------------- float64 reference from the files written ----------------
    def load_tf(path):
        out = {}
        for name, tc, shape, raw in wtsio.read_wts(path):
            a = np.frombuffer(raw, dtype={0: "<f4", 1: "<f2"}[tc]).reshape(shape)
            out[name] = torch.from_numpy(a.astype(np.float64)).to(dev)
        return out

    w32 = load_tf(f32_path)
    w16 = load_tf(f16_path)
    for name, t in tensors.items():  # the file round trip is exact
        assert torch.equal(w32[name], t.double()), name
        assert torch.equal(w16[name], t.half().double()), name
    names = sorted(tensors)
    with open(f16_path, "rb") as f:
        head = f.read(64)
    print("f16 file head:", head[:48], flush=True)

    sets = [w32, w16]  # set 0: float32 weights, set 1: float16-rounded weights; both computed in float64
    S = len(sets)
    emb_s = torch.stack([w["embedding"] for w in sets])  # [S, V, E]
    K = [torch.stack([w["rnn_multi_rnn_cell_cell_%d_basic_lstm_cell_kernel" % k] for w in sets]) for k in range(L)]
    Bi = [torch.stack([w["rnn_multi_rnn_cell_cell_%d_basic_lstm_cell_bias" % k] for w in sets]).unsqueeze(1)
          for k in range(L)]
    SW = torch.stack([w["softmax_softmax_w"] for w in sets])  # [S, H, V]
    SB = torch.stack([w["softmax_softmax_b"] for w in sets]).unsqueeze(1)  # [S, 1, V]

    def ref_step(x, hs, cs):
        """One LSTM step of every layer, TF BasicLSTMCell semantics, float64. x [S, B, in]."""
        inp = x
        for k in range(L):
            z = torch.baddbmm(Bi[k], torch.cat([inp, hs[k]], -1), K[k])  # z = concat([x, h]) @ kernel + bias
            i, j, f, o = z.split(H, -1)
            cs[k] = cs[k] * torch.sigmoid(f + FORGET_BIAS) + torch.sigmoid(i) * torch.tanh(j)
            hs[k] = torch.tanh(cs[k]) * torch.sigmoid(o)
            inp = hs[k]
        return inp

    @torch.no_grad()
    def ref_nll(streams):
        """Per-position NLL [S, nstreams, maxlen-1] (NaN-free, masked by lengths) for the given id streams."""
        nb = len(streams)
        lens = [len(s) for s in streams]
        Tm = max(lens)
        idm = torch.zeros(nb, Tm, dtype=torch.long, device=dev)
        for b, s in enumerate(streams):
            idm[b, :len(s)] = s
        X = emb_s[:, idm]  # [S, nb, Tm, E]
        hs = [torch.zeros(S, nb, H, dtype=torch.float64, device=dev) for _ in range(L)]
        cs = [torch.zeros(S, nb, H, dtype=torch.float64, device=dev) for _ in range(L)]
        Hout = torch.empty(S, nb, Tm - 1, H, dtype=torch.float64, device=dev)
        for t in range(Tm - 1):
            Hout[:, :, t] = ref_step(X[:, :, t], hs, cs)
        nll = torch.empty(S, nb, Tm - 1, dtype=torch.float64, device=dev)
        tgt = idm[:, 1:]
        for s0 in range(0, Tm - 1, 8192):
            lg = torch.matmul(Hout[:, :, s0:s0 + 8192], SW.unsqueeze(1)) + SB.unsqueeze(1)  # [S, nb, t, V]
            lp = torch.log_softmax(lg, -1)
            nll[:, :, s0:s0 + 8192] = -lp.gather(-1, tgt[:, s0:s0 + 8192].unsqueeze(0).expand(S, -1, -1)
                                                 .unsqueeze(-1)).squeeze(-1)
        mask = torch.zeros(nb, Tm - 1, dtype=torch.bool, device=dev)
        for b, n_ in enumerate(lens):
            mask[b, :n_ - 1] = True
        return nll, mask

    t_ref0 = time.time()
    nll, mask = ref_nll([valid_ids, test_ids])
    ref = {}
    for si, sname in enumerate(["fp32", "fp16"]):
        for bi, split in enumerate(["validation", "test"]):
            m = mask[bi]
            ref["%s_%s_perplexity" % (split, sname)] = math.exp(nll[si, bi][m].mean().item())
            ref["%s_%s_predictions" % (split, sname)] = int(m.sum().item())
        # fixed slice: first 2000 characters of the test split, same stateful rule (1999 predictions); its NLLs
        # are exactly the first 1999 of the test stream, which also starts from zero state at test offset 0.
        ref["fixed_slice_%s_perplexity" % sname] = math.exp(nll[si, 1, :1999].mean().item())
    print("float64 reference (%.1f s):" % (time.time() - t_ref0), flush=True)
    for k_, v_ in ref.items():
        print("  %-32s %s" % (k_, ("%.6f" % v_) if isinstance(v_, float) else v_), flush=True)
    # The export layout is right only if the independent TF-layout float64 LSTM agrees with nn.LSTM.
    ref["nnlstm_vs_reference_fp32_val_rel_diff"] = abs(ref["validation_fp32_perplexity"] / val_lstm - 1.0)
    ref["nnlstm_vs_reference_fp32_test_rel_diff"] = abs(ref["test_fp32_perplexity"] / test_lstm - 1.0)
    print("nn.LSTM fp32 vs float64 reference (fp32 weights): val rel diff %.2e, test rel diff %.2e" % (
        ref["nnlstm_vs_reference_fp32_val_rel_diff"], ref["nnlstm_vs_reference_fp32_test_rel_diff"]), flush=True)
    ref["layout_ok"] = ref["nnlstm_vs_reference_fp32_test_rel_diff"] < 1e-3
    if not ref["layout_ok"]:
        print("ERROR: export layout mismatch (float64 TF-layout reference disagrees with nn.LSTM)", flush=True)

    # ---------------- greedy continuations (sampleCharRNN's rule) ----------------
    @torch.no_grad()
    def greedy(prime, n_gen):
        hs = [torch.zeros(S, 1, H, dtype=torch.float64, device=dev) for _ in range(L)]
        cs = [torch.zeros(S, 1, H, dtype=torch.float64, device=dev) for _ in range(L)]
        out = None
        for ch in prime:
            x = emb_s[:, CHAR_TO_ID[ch]].unsqueeze(1)  # [S, 1, E]
            out = ref_step(x, hs, cs)
        toks, gaps = [], []
        for _ in range(n_gen):
            lg = (torch.bmm(out, SW) + SB).squeeze(1)  # [S, V]
            top = torch.topk(lg, 2, dim=-1)
            tok = top.indices[:, 0]
            toks.append(tok)
            gaps.append(top.values[:, 0] - top.values[:, 1])
            x = emb_s[torch.arange(S, device=dev), tok].unsqueeze(1)
            out = ref_step(x, hs, cs)
        toks = torch.stack(toks, 1).cpu().tolist()
        gaps = torch.stack(gaps, 1).cpu().tolist()
        res = []
        for si in range(S):
            g = gaps[si]
            mi = min(range(n_gen), key=lambda q: g[q])
            res.append({"continuation": "".join(VOCAB[t] for t in toks[si]), "min_top2_logit_gap": g[mi],
                        "min_gap_at": mi})
        return res

    greedy_rows = []
    for prime in PRIMES:
        r32, r16 = greedy(prime, args.gen_length)
        greedy_rows.append({"prime": prime, "continuation": r16["continuation"],
                            "min_top2_logit_gap": r16["min_top2_logit_gap"], "min_gap_at": r16["min_gap_at"],
                            "fp32_weights_continuation": r32["continuation"],
                            "fp32_equals_fp16": r32["continuation"] == r16["continuation"]})
        print("greedy %r -> %r (min gap %.4f at %d; fp32 same: %s)" % (
            prime, r16["continuation"], r16["min_top2_logit_gap"], r16["min_gap_at"],
            r32["continuation"] == r16["continuation"]), flush=True)

    total_wall = time.time() - t_script
    results = {
        "info": info,
        "split": {"chars": n, "train": n_train, "validation": n_valid, "test": n_test},
        "parameters": n_params,
        "steps_per_epoch": steps_per_epoch,
        "epochs_planned": E_total,
        "epochs_run": epoch,
        "stop_reason": stop_reason,
        "best_epoch": best["epoch"],
        "best_val_ppl_during_training": best["val_ppl"],
        "train_wall_s": train_wall,
        "total_wall_s": total_wall,
        "nnlstm_fp32_validation_perplexity": val_lstm,
        "nnlstm_fp32_test_perplexity": test_lstm,
        "reference_float64": ref,
        "tensors": {k_: list(tensors[k_].shape) for k_ in names},
        "greedy": greedy_rows,
        "history": history,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    reference = {
        "model": "models/%s.wts (float16 records), computed in float64" % args.name,
        "model_sha256": hashlib.sha256(open(f16_path, "rb").read()).hexdigest(),
        "forget_bias": FORGET_BIAS,
        "fixed_slice": {"start": "test split offset 0", "length": 2000, "predictions": 1999,
                        "perplexity": ref["fixed_slice_fp16_perplexity"]},
        "test_perplexity": ref["test_fp16_perplexity"],
        "validation_perplexity": ref["validation_fp16_perplexity"],
        "fp32_weights": {"test_perplexity": ref["test_fp32_perplexity"],
                         "validation_perplexity": ref["validation_fp32_perplexity"],
                         "fixed_slice_perplexity": ref["fixed_slice_fp32_perplexity"]},
        "greedy_rule": "h,c = 0; feed every prime character; argmax after the last prime character is the first "
                       "generated character; feed each generated character back",
        "greedy_length": args.gen_length,
        "greedy": [{"prime": g["prime"], "continuation": g["continuation"],
                    "min_top2_logit_gap": g["min_top2_logit_gap"], "min_gap_at": g["min_gap_at"]}
                   for g in greedy_rows],
    }
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=2, ensure_ascii=False)
    print("done: total wall %.1f s (training %.1f s)" % (total_wall, train_wall), flush=True)


if __name__ == "__main__":
    main()
