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

The loop is discontinuous (an element whose unclipped x0 prediction crosses ±1 switches its gradient factor, and
Adam turns any non-zero gradient into a step of about one learning rate), so a last-bit difference in ε grows
into visibly different trajectories after a few iterations.  Hence, for iterations RESUMES: the state before the
iteration (z, Adam moments and step; deblur: kernel network and its Adam moments), z after it, and each
element's distance to the clip edge (`edge`), so the runtime can be started from that state and checked over
one iteration.  `--spread N` (not part of the committed data: N more runs per task) measures how far the loss
curve and x0_hat move when ε is perturbed by N(0, SPREAD_NOISE²), about ONNX Runtime's difference to PyTorch;
docs/BIRD.md quotes it for the free-run bound of the C# test.
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
RESUMES = (5, 20)  # iterations whose starting state is stored (one-iteration checks from the reference's state)
SPREAD_NOISE = 1e-6  # --spread: sensitivity of the loss curve to ε perturbed by N(0, SPREAD_NOISE²)


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
    ap.add_argument("--spread", type=int, default=0, help="perturbed runs per task (prints the sensitivity; slow)")
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
             "resumes": list(RESUMES),
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

    def adam_state(job, params):
        """Adam's first and second moments over `params` (flattened, concatenated) and its step count."""
        st = [job.opt.state[p] for p in params]
        flat = lambda key: torch.cat([s[key].reshape(-1) for s in st])  # noqa: E731
        return flat("exp_avg"), flat("exp_avg_sq"), int(st[0]["step"])

    def kn_flat(net):
        return torch.cat([p.detach().reshape(-1) for p in (net.l1.weight, net.l1.bias, net.l2.weight, net.l2.bias)])

    def new_job(task, y):
        kn.load_state_dict(init_state)
        return A.Bird(task, unet, z0, y, mask=mask if task == "inpaint" else None,
                      kernel_net=kn if task == "deblur" else None, kernel_input=u if task == "deblur" else None)

    observations = {}
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
        observations[task] = y
        job = new_job(task, y)
        losses = []
        per_step = []
        resumes = {}
        for it in range(1, ITERS + 1):
            keep = [] if it == 1 else None
            edge = [] if it in RESUMES else None
            if it in RESUMES:
                pre = f"{tag}_resume{it}_"
                save(pre + "z", job.z)
                m, v, step = adam_state(job, [job.z])
                save(pre + "m", m)
                save(pre + "v", v)
                resumes[it] = {"step": step}
                if task == "deblur":
                    save(pre + "kn", kn_flat(kn))
                    km, kv, _ = adam_state(job, [kn.l1.weight, kn.l1.bias, kn.l2.weight, kn.l2.bias])
                    save(pre + "kn_m", km)
                    save(pre + "kn_v", kv)
            x0, loss, k = job.iterate(keep, edge)
            losses.append(loss)
            if it in RESUMES:
                save(pre + "z_after", job.z)
                save(pre + "edge", edge[0])
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
                                "step_gradients": per_step, "resumes": {str(i): r for i, r in resumes.items()}}
        print(task, "loss", losses[0], "->", losses[-1])

    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    if a.spread:
        spread(a, index, new_job, observations)
    return 0


def spread(a, index, new_job, observations):
    """Sensitivity of each task's free run to a tiny change in ε (own generator); printed, not stored."""
    g = torch.Generator().manual_seed(a.seed + 1)
    perturb = lambda e: e + SPREAD_NOISE * torch.randn(e.shape, generator=g)  # noqa: E731
    for task, y in observations.items():
        ref = index["tasks"][task]["losses"]
        worst = [0.0] * ITERS
        x0_spread = 0.0
        for _ in range(a.spread):
            job = new_job(task, y)
            for it in range(1, ITERS + 1):
                x0, loss, _k = job.iterate(perturb=perturb)
                worst[it - 1] = max(worst[it - 1], abs(loss - ref[it - 1]) / abs(ref[it - 1]))
            x0_spread = max(x0_spread, float((x0 - torch.from_numpy(np.fromfile(os.path.join(a.out, f"{task.replace('-', '_')}_x0_{ITERS}.bin"), dtype=np.float32)).reshape(x0.shape)).abs().max()))
        print(task, f"ε + N(0, {SPREAD_NOISE:g}²), {a.spread} runs: loss relative change ≤ {max(worst):.2e} "
              f"(per iteration: {' '.join(f'{v:.1e}' for v in worst)}); x0 after {ITERS} iterations max abs {x0_spread:.2e}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
