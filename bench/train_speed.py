"""Training speed: course_lib against a hand-written numpy loop (and PyTorch, if installed).

Trains a 64-128-128-10 ReLU MLP on the digits data set with Adam (lr 1e-3) for a
few epochs at batch sizes 32, 64 and 256, four ways:

  (a) course_lib.layers + course_lib.optim.Adam, the loop the book writes;
  (a') the same through course_lib.training.fit (adds shuffling bookkeeping,
       accuracy and the divergence guard);
  (b) course_lib.autodiff.Tensor + course_lib.optim.Adam;
  (c) a hand-written numpy loop, below, doing the same arithmetic with no library;
  (t) PyTorch on the CPU, only if torch is importable (never a requirement).

It prints the median milliseconds per epoch over the repeats (methods interleaved,
so machine noise hits all of them alike) and the ratios (a)/(c) and (b)/(c).
Targets at batch 64: (a)/(c) <= 1.2 and (b)/(c) <= 1.6. Ratios are measured in
this one run; nothing here asserts on time.

    python bench/train_speed.py [--epochs 5] [--repeats 9]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from course_lib import autodiff, layers, losses, optim
from course_lib.data import load_digits, standardize
from course_lib.training import fit, make_batches

SIZES = (64, 128, 128, 10)
LR = 1e-3


def initial_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-initialised (weight (out, in), bias (out,)) pairs shared by every method."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in)), np.zeros(fan_out))
        for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=False)
    ]


# --- (a) course_lib.layers ----------------------------------------------------------


def make_layers_model(weights):
    mods = []
    for i, (w, b) in enumerate(weights):
        lin = layers.Linear(w.shape[1], w.shape[0])
        lin.weight.data[...] = w
        lin.bias.data[...] = b
        mods += [lin, layers.ReLU()] if i < len(weights) - 1 else [lin]
    return layers.Sequential(*mods)


def epoch_layers(state, X, y, batch_size, rng):
    model, opt, loss = state
    for xb, yb in make_batches(X, y, batch_size, rng=rng):
        opt.zero_grad()
        loss.forward(model.forward(xb), yb)
        model.backward(loss.backward())
        opt.step()


def setup_layers(weights):
    model = make_layers_model(weights)
    return model, optim.Adam(model.parameters(), lr=LR), losses.CrossEntropyLoss()


def epoch_fit(state, X, y, batch_size, rng):
    model, opt, loss = state
    fit(model, loss, opt, X, y, epochs=1, batch_size=batch_size, progress=False, rng=rng)


# --- (b) course_lib.autodiff ----------------------------------------------------------


def setup_autodiff(weights):
    params = []
    for w, b in weights:
        params += [autodiff.Tensor(w.copy(), requires_grad=True),
                   autodiff.Tensor(b.copy(), requires_grad=True)]
    return params, optim.Adam(params, lr=LR)


def epoch_autodiff(state, X, y, batch_size, rng):
    params, opt = state
    pairs = list(zip(params[0::2], params[1::2], strict=True))
    for xb, yb in make_batches(X, y, batch_size, rng=rng):
        opt.zero_grad()
        h = autodiff.Tensor(xb)
        for i, (w, b) in enumerate(pairs):
            h = h @ w.T + b
            if i < len(pairs) - 1:
                h = h.relu()
        autodiff.cross_entropy(h, yb).backward()
        opt.step()


# --- (c) hand-written numpy -------------------------------------------------------------


def setup_numpy(weights):
    params = [a.copy() for wb in weights for a in wb]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    return params, moments, [0]


def epoch_numpy(state, X, y, batch_size, rng):
    params, moments, step = state
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n_layers = len(params) // 2
    for xb, yb in make_batches(X, y, batch_size, rng=rng):
        acts = [xb]
        for i in range(n_layers):
            z = acts[-1] @ params[2 * i].T + params[2 * i + 1]
            acts.append(np.maximum(z, 0) if i < n_layers - 1 else z)
        logits = acts[-1]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        dz = e / e.sum(axis=1, keepdims=True)
        dz[np.arange(len(yb)), yb] -= 1
        dz /= len(yb)
        grads = [None] * len(params)
        for i in reversed(range(n_layers)):
            grads[2 * i] = dz.T @ acts[i]
            grads[2 * i + 1] = dz.sum(axis=0)
            if i:
                dz = (dz @ params[2 * i]) * (acts[i] > 0)
        step[0] += 1
        bc1, bc2 = 1 - beta1 ** step[0], 1 - beta2 ** step[0]
        for p, g, (m, v) in zip(params, grads, moments, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= (LR / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)


# --- (t) PyTorch, optional --------------------------------------------------------------


def torch_method():
    try:
        import torch
    except ImportError:
        return None

    def setup(weights):
        torch.set_num_threads(2)
        mods = []
        for i, (w, b) in enumerate(weights):
            lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            mods += [lin, torch.nn.ReLU()] if i < len(weights) - 1 else [lin]
        model = torch.nn.Sequential(*mods)
        return model, torch.optim.Adam(model.parameters(), lr=LR)

    def epoch(state, X, y, batch_size, rng):
        model, opt = state
        for xb, yb in make_batches(X, y, batch_size, rng=rng):
            opt.zero_grad()
            out = model(torch.from_numpy(xb))
            torch.nn.functional.cross_entropy(out, torch.from_numpy(yb)).backward()
            opt.step()

    return setup, epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per repeat")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 256])
    args = parser.parse_args()

    X, y = load_digits()
    (X,) = standardize(X)
    weights = initial_weights()
    methods = {
        "(a) layers+optim": (setup_layers, epoch_layers),
        "(a') training.fit": (setup_layers, epoch_fit),
        "(b) autodiff": (setup_autodiff, epoch_autodiff),
        "(c) numpy by hand": (setup_numpy, epoch_numpy),
    }
    if (tm := torch_method()) is not None:
        methods["(t) PyTorch CPU"] = tm

    print(f"digits {X.shape}, MLP {'-'.join(map(str, SIZES))}, Adam lr={LR}, float64, "
          f"{args.epochs} epochs x {args.repeats} repeats; median ms/epoch")
    header = f"{'batch':>6} " + " ".join(f"{name:>18}" for name in methods)
    print(header + f" {'(a)/(c)':>8} {'(b)/(c)':>8}")
    for batch_size in args.batch_sizes:
        times: dict[str, list[float]] = {name: [] for name in methods}
        states = {name: setup(weights) for name, (setup, _) in methods.items()}
        for repeat in range(args.repeats):
            for name, (_, epoch) in methods.items():
                rng = np.random.default_rng(repeat)
                start = time.perf_counter()
                for _ in range(args.epochs):
                    epoch(states[name], X, y, batch_size, rng)
                times[name].append((time.perf_counter() - start) * 1e3 / args.epochs)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        ref = med["(c) numpy by hand"]
        row = f"{batch_size:>6} " + " ".join(f"{med[name]:>18.1f}" for name in methods)
        print(row + f" {med['(a) layers+optim'] / ref:>8.2f} {med['(b) autodiff'] / ref:>8.2f}")


if __name__ == "__main__":
    main()
