"""BIRD as released (Chihaoui et al., NeurIPS 2024), written from shared/spec/bird.md: optimise the input noise z
of a 10-step deterministic DDIM chain (UNet under no_grad) so that H(x0_hat) matches y; Adam on z (and on the
kernel network for blind deblurring), then z back onto the sphere of radius sqrt(d).

This is the PyTorch reference the C# runtime (src/Pipeline/Bird) is checked against: autograd provides the
gradients here, the runtime computes them in closed form.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

T = 1000
DELTA_T = 100
TIMESTEPS = list(range(T - DELTA_T, -1, -DELTA_T))  # 900, 800, ..., 0


def alphas_cumprod(beta_start=1e-4, beta_end=0.02, steps=T):
    """ᾱ_t in float64: the schedule's own values (docs/BIRD.md: the released code's float32 arithmetic makes √(1−ᾱ₀) 8.3e-5 larger)."""
    betas = np.linspace(beta_start, beta_end, steps, dtype=np.float64)
    return np.cumprod(1.0 - betas)


@dataclass(frozen=True)
class TaskSettings:
    name: str
    lr_z: float
    iterations: int
    lr_kernel: float = 0.0


TASKS = {
    "deblur": TaskSettings("deblur", 3e-3, 100, 2e-4),
    "sr8": TaskSettings("sr8", 1e-3, 100),
    "denoise": TaskSettings("denoise", 1e-2, 200),
    "inpaint": TaskSettings("inpaint", 1e-2, 200),
    "deblur-nonuniform": TaskSettings("deblur-nonuniform", 2e-3, 25),
}


def step_coefficients(abar):
    """Per DDIM step: (t, sqrt(ᾱ_t), sqrt(1-ᾱ_t), sqrt(ᾱ'), sqrt(1-ᾱ')) as float32 scalars."""
    out = []
    for t in TIMESTEPS:
        a = abar[t]
        ap = abar[t - DELTA_T] if t >= DELTA_T else 1.0
        out.append((t, *(float(np.float32(v)) for v in (math.sqrt(a), math.sqrt(1 - a), math.sqrt(ap), math.sqrt(1 - ap)))))
    return out


def ddim_chain(z, unet, coeffs, keep=None, edge=None, perturb=None):
    """x0_hat from z.  ε comes from the UNet under no_grad, so gradients flow only through the arithmetic.
    `keep` (a list) receives each step's input x (with retain_grad) for per-step gradient checks; `edge` (a list)
    receives, per element, the smallest distance of any step's unclipped x0 prediction to the clip edge ±1 (where
    a last-bit difference can switch that element's gradient factor); `perturb(eps)` alters ε (sensitivity runs)."""
    x = z
    for t, sa, s1a, sap, s1ap in coeffs:
        if keep is not None:
            if x.requires_grad and not x.is_leaf:
                x.retain_grad()
            keep.append(x)
        with torch.no_grad():
            eps = unet(x.detach(), torch.full((x.shape[0],), t, dtype=torch.int64))
            if perturb is not None:
                eps = perturb(eps)
        q = (x - s1a * eps) / sa
        if edge is not None:
            d = (q.detach().abs() - 1.0).abs()
            edge.append(d if not edge else torch.minimum(edge.pop(), d))
        p = torch.clamp(q, -1.0, 1.0)
        e2 = (x - sa * p) / s1a
        x = sap * p + s1ap * e2
    return x


class KernelNet(nn.Module):
    """u (fixed) -> Linear -> ReLU6 -> Linear -> softmax -> k x k kernel."""

    def __init__(self, n_in=200, hidden=1000, ksize=41):
        super().__init__()
        self.ksize = ksize
        self.l1 = nn.Linear(n_in, hidden)
        self.l2 = nn.Linear(hidden, ksize * ksize)

    def forward(self, u):
        return torch.softmax(self.l2(F.relu6(self.l1(u))), dim=0).view(self.ksize, self.ksize)


def blur(x, k):
    """Per-channel 'same' cross-correlation with zero padding (conv2d of the released code)."""
    n, c, h, w = x.shape
    return F.conv2d(x.reshape(n * c, 1, h, w), k[None, None], padding=k.shape[-1] // 2).reshape(n, c, h, w)


def degrade(task, x, kernel=None, mask=None):
    if task == "deblur":
        return blur(x, kernel)
    if task == "sr8":
        return F.avg_pool2d(x, 8)
    if task == "inpaint":
        return x * mask
    return x  # denoise, deblur-nonuniform


def loss_of(task, x0, y, kernel=None, mask=None):
    if task == "inpaint":
        return torch.mean((x0 * mask - y * mask) ** 2)
    return torch.mean((degrade(task, x0, kernel, mask) - y) ** 2)


def renormalise_(z):
    d = z.numel()
    with torch.no_grad():
        z.div_((z.pow(2).sum() + 1e-9).sqrt())
        z.mul_(torch.tensor(math.sqrt(d), dtype=torch.float32))


class Bird:
    """One BIRD job: z (a leaf), the optimiser, and for blind deblurring the kernel network and its input."""

    def __init__(self, task, unet, z0, y, mask=None, kernel_net=None, kernel_input=None, lr_z=None, lr_kernel=None):
        s = TASKS[task]
        self.task, self.unet, self.y, self.mask = task, unet, y, mask
        self.coeffs = step_coefficients(alphas_cumprod())
        self.z = nn.Parameter(z0.clone())
        groups = [{"params": [self.z], "lr": lr_z if lr_z is not None else s.lr_z}]
        self.net, self.u = kernel_net, kernel_input
        if task == "deblur":
            groups.append({"params": list(kernel_net.parameters()), "lr": lr_kernel if lr_kernel is not None else s.lr_kernel})
        self.opt = torch.optim.Adam(groups, betas=(0.9, 0.999), eps=1e-8)

    def kernel(self):
        return self.net(self.u) if self.task == "deblur" else None

    def iterate(self, keep=None, edge=None, perturb=None):
        """One iteration; returns (x0_hat, loss, kernel) of this iteration (before the update)."""
        self.opt.zero_grad()
        x0 = ddim_chain(self.z, self.unet, self.coeffs, keep, edge, perturb)
        if keep is not None:
            x0.retain_grad()
            keep.append(x0)
        k = self.kernel()
        if k is not None:
            k.retain_grad()
        loss = loss_of(self.task, x0, self.y, k, self.mask)
        loss.backward()
        self.last_kernel = k
        self.opt.step()
        renormalise_(self.z)
        return x0.detach(), float(loss), (k.detach() if k is not None else None)
