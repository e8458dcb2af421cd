"""Parity data for the C# BIRD runtime, from the PyTorch reference (algorithm.py) on the tiny model.

  make_parity.py --model engines/bird-tiny --seed 11 --out engines/bird-tiny/parity

Writes parity/index.json and one raw float32 little-endian file per tensor.  All tasks start from the same z0
(stored); y is a synthetic observation of a smooth test pattern.  The blind-deblurring kernel network is a
small one (input 8, hidden 16, 5x5 kernel) so its weights can be committed; the runtime's is size-generic.
Per task: the gradient of the loss w.r.t. the input of every DDIM step (autograd, UNet under no_grad) at
iteration 1 — in full for steps 0 (= z) and 5 and for x0_hat; for all ten steps as its L2 norm and PROJECTIONS
signed sums against fixed ±1 vectors (`signs`, integer hash, recomputed identically by the C# test), so the
committed data stays small — x0_hat after iterations 1, 5 and 20, the loss of every iteration, and (deblur) the
kernel network's gradients at iteration 1 and the kernel after iteration 20.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import algorithm as A  # noqa: E402
import unet as U  # noqa: E402

KN_IN, KN_HIDDEN, KN_SIZE = 8, 16, 5
ITERS = 20
SNAPSHOTS = (1, 5, 20)
STEPS = (0, 5)  # step inputs whose gradients are stored in full (step 0 input = z)
PROJECTIONS = 4  # ±1 projections of every step's gradient (with its norm) in index.json


def signs(n, step, k):
    """The ±1 vector of projection k at step s: a 32-bit integer hash of the element index (exact in any language)."""
    m = 0xFFFFFFFF
    h = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64((step * PROJECTIONS + k + 1) * 40503)) & np.uint64(m)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(2246822519)) & np.uint64(m)
    h ^= h >> np.uint64(13)
    return np.where(h & np.uint64(1), -1.0, 1.0)


def summary(g, step):
    """Norm and projections (float64) of one step's gradient."""
    v = g.detach().to(torch.float64).reshape(-1).numpy()
    return {"norm": float(np.sqrt(np.dot(v, v))), "projections": [float(np.dot(signs(v.size, step, k), v)) for k in range(PROJECTIONS)]}


def pattern(r):
    yy, xx = np.meshgrid(np.linspace(-1, 1, r), np.linspace(-1, 1, r), indexing="ij")
    img = np.stack([0.8 * np.sin(3 * xx) * np.cos(2 * yy), 0.6 * np.tanh(4 * (xx * yy)), 0.7 * np.cos(5 * (xx + yy))])
    return torch.tensor(img[None], dtype=torch.float32)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    man = json.load(open(os.path.join(a.model, "model.json")))
    cfg = U.UNetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in man["bird"]["architecture"].items()})
    # Same weights as the exported graph: rebuild with the export seed.
    torch.manual_seed(int(man["generated_by"].split("--seed ")[1].split()[0]))
    unet = U.DdpmUNet(cfg).eval()
    r = cfg.resolution
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    index = {"image": r, "iterations": ITERS, "snapshots": list(SNAPSHOTS), "steps": list(STEPS), "projections": PROJECTIONS,
             "kernel_net": {"inputs": KN_IN, "hidden": KN_HIDDEN, "size": KN_SIZE}, "tensors": {}, "tasks": {}}

    def save(name, t):
        arr = t.detach().to(torch.float32).contiguous().numpy()
        arr.tofile(os.path.join(a.out, name + ".bin"))
        index["tensors"][name] = list(arr.shape)

    z0 = torch.randn(1, 3, r, r)
    save("z0", z0)
    clean = pattern(r)
    noise = 0.05 * torch.randn(1, 3, r, r)
    true_k = torch.exp(-torch.linspace(-2, 2, KN_SIZE)[:, None] ** 2 - 0.5 * torch.linspace(-2, 2, KN_SIZE)[None, :] ** 2)
    true_k = true_k / true_k.sum()
    mask = torch.ones(1, 1, r, r)
    mask[..., r // 4: r // 2, r // 3: 2 * r // 3] = 0
    save("mask", mask)
    kn = A.KernelNet(KN_IN, KN_HIDDEN, KN_SIZE)
    u = torch.rand(KN_IN) * 0.1
    save("kn_u", u)
    for n, p in (("kn_w1", kn.l1.weight), ("kn_b1", kn.l1.bias), ("kn_w2", kn.l2.weight), ("kn_b2", kn.l2.bias)):
        save(n, p)
    init_state = {k: v.clone() for k, v in kn.state_dict().items()}

    for task in A.TASKS:
        if task == "deblur":
            y = A.blur(clean, true_k) + noise
        elif task == "sr8":
            y = A.degrade("sr8", clean) + noise[..., : r // 8, : r // 8]
        elif task == "inpaint":
            y = (clean + noise) * mask
        else:
            y = clean + noise
        tag = task.replace("-", "_")
        save(tag + "_y", y)
        kn.load_state_dict(init_state)
        job = A.Bird(task, unet, z0, y, mask=mask if task == "inpaint" else None,
                     kernel_net=kn if task == "deblur" else None, kernel_input=u if task == "deblur" else None)
        losses = []
        per_step = []
        for it in range(1, ITERS + 1):
            keep = [] if it == 1 else None
            x0, loss, k = job.iterate(keep)
            losses.append(loss)
            if it == 1:
                z_grad = job.z.grad.clone()  # before renormalisation changed z (grad is kept by Adam's step)
                save(tag + "_grad_step0", z_grad)
                for s in STEPS[1:]:
                    save(f"{tag}_grad_step{s}", keep[s].grad)
                save(tag + "_grad_x0", keep[-1].grad)
                per_step = [summary(z_grad if s == 0 else keep[s].grad, s) for s in range(len(keep) - 1)]
                if task == "deblur":
                    save("deblur_kernel_1", k)
                    for n, p in (("kn_w1", kn.l1.weight), ("kn_b1", kn.l1.bias), ("kn_w2", kn.l2.weight), ("kn_b2", kn.l2.bias)):
                        save("deblur_grad_" + n, p.grad)
            if it in SNAPSHOTS:
                save(f"{tag}_x0_{it}", x0)
        if task == "deblur":
            save("deblur_kernel_final", job.kernel().detach())
        index["tasks"][task] = {"lr_z": A.TASKS[task].lr_z, "lr_kernel": A.TASKS[task].lr_kernel, "losses": losses,
                                "step_gradients": per_step}
        print(task, "loss", losses[0], "->", losses[-1])
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
