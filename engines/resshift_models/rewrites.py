"""Inference rewrites applied at export: the same function as the reference modules, fewer operations.

Each rewrite is exact in real arithmetic; in fp32 only the rounding moves (export checks the rewritten graph
against the unmodified modules and the verify bundle holds the unmodified modules' outputs).  The PyTorch
implementation itself stays in the reference's form: it is what parity is measured against.

- `NearestUpConv`: conv3x3(pad 1) after a nearest x2 upsample.  Every output pixel of phase (a, b) sees only a
  2x2 neighbourhood of the low-resolution map, so the pair becomes four 2x2 convolutions on the small map
  whose outputs are interleaved: 16 instead of 36 multiply-adds per low-resolution pixel and channel pair,
  and the upsampled map is never built.  VQ decoder: 2 of its largest convolutions; denoiser: 3 per step.
- `GemmCodebook`: nearest-codebook search as one matrix product per row band, token-major (weight -2e^T,
  bias |e|^2), and ArgMin over the contiguous last axis.  The per-pixel |z|^2 is dropped: it is the same
  for every code, so it cannot change which code is nearest (exact fp32 near-ties could still fall the other
  way; parity is checked end to end).
- Two-step Swin window partition: NCHW -> NHWC (a plain 2-D transpose per image, which ONNX Runtime runs
  vectorised) and then a block shuffle that moves whole window rows, instead of one 6-D element-by-element
  transpose; the same on the way back.  Pure data movement: bit-identical results.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import swin as swin_mod
from . import unet as unet_mod
from . import vq as vq_mod

# F.pad order (left, right, top, bottom) for output phase (row a, column b): phase 0 reads (i-1, i), phase 1
# reads (i, i+1) of the low-resolution map.
_PADS = {(a, b): (1 - b, b, 1 - a, a) for a in (0, 1) for b in (0, 1)}


def _fold_taps(w, axis, phase):
    """Collapse the 3 taps of `axis` onto the 2 low-resolution samples phase `phase` reads."""
    t0, t1, t2 = w.unbind(axis)
    pair = (t0, t1 + t2) if phase == 0 else (t0 + t1, t2)
    return torch.stack(pair, axis)


class NearestUpConv(nn.Module):
    def __init__(self, conv):
        super().__init__()
        assert conv.kernel_size == (3, 3) and conv.padding == (1, 1) and conv.stride == (1, 1)
        w = conv.weight.detach().double()  # fold in float64, round once
        phases = [_fold_taps(_fold_taps(w, 2, a), 3, b) for a in (0, 1) for b in (0, 1)]
        self.weight = nn.Parameter(torch.stack(phases).to(conv.weight.dtype), requires_grad=False)
        self.bias = nn.Parameter(conv.bias.detach().clone(), requires_grad=False)

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        y = [F.conv2d(F.pad(x, _PADS[a, b]), self.weight[2 * a + b], self.bias) for a in (0, 1) for b in (0, 1)]
        c = y[0].shape[1]
        rows = [torch.stack((y[2 * a], y[2 * a + 1]), dim=-1).reshape(-1, c, h, 2 * w) for a in (0, 1)]
        return torch.stack(rows, dim=3).reshape(-1, c, 2 * h, 2 * w)


class _UpAsNearestUpConv(nn.Module):
    def __init__(self, up):
        super().__init__()
        self.conv = NearestUpConv(up.conv)

    def forward(self, x):
        return self.conv(x)


class GemmCodebook(nn.Module):
    """Same contract as vq.Codebook (first argmin, fp32 distances, row bands within the score budget)."""

    def __init__(self, codebook):
        super().__init__()
        e = codebook.embedding.weight.detach().float()
        self.register_buffer("codes", e.clone())                            # [K, D]
        self.register_buffer("weight", (-2.0 * e).t().contiguous())        # [D, K]
        self.register_buffer("bias", (e.double() ** 2).sum(1).float())    # [K]
        self.budget = codebook.budget

    def forward(self, z):
        zt = z.float().permute(0, 2, 3, 1)                                  # [B, H, W, D]
        K, H, W = self.codes.shape[0], int(z.shape[2]), int(z.shape[3])
        rows = max(1, min(H, self.budget // (K * W)))
        outs = []
        for r in range(0, H, rows):
            d = torch.matmul(zt[:, r:r + rows], self.weight) + self.bias    # [B, r, W, K]
            outs.append(F.embedding(torch.argmin(d, dim=-1), self.codes))   # [B, r, W, D]
        q = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        return q.permute(0, 3, 1, 2).to(z.dtype)


def to_windows_two_step(x, window):
    """swin.to_windows, as NCHW -> NHWC then a shuffle of window-row blocks (window*C contiguous values)."""
    _, c, h, w = x.shape
    x = x.reshape(-1, c, h * w).transpose(1, 2)
    x = x.reshape(-1, h // window, window, w // window, window * c).transpose(2, 3)
    return x.reshape(-1, window * window, c)


def from_windows_two_step(win, window, c, h, w):
    """swin.from_windows, the inverse of to_windows_two_step."""
    x = win.reshape(-1, h // window, w // window, window, window * c).transpose(2, 3)
    x = x.reshape(-1, h * w, c).transpose(1, 2)
    return x.reshape(-1, c, h, w)


def _replace(root, match, make):
    n = 0
    for name, child in list(root.named_children()):
        if match(child):
            setattr(root, name, make(child))
            n += 1
        else:
            n += _replace(child, match, make)
    return n


def rewrite_unet(unet):
    """A rewritten copy of a ResShiftUNet (the original is untouched). Returns (copy, rewrite counts)."""
    u = copy.deepcopy(unet).eval()
    n = _replace(u, lambda m: isinstance(m, unet_mod.Up), _UpAsNearestUpConv)
    blocks = [m for m in u.modules() if isinstance(m, swin_mod.SwinBlock)]
    for b in blocks:
        b.to_windows, b.from_windows = to_windows_two_step, from_windows_two_step
    return u, {"nearest_up_conv": n, "two_step_windows": len(blocks)}


def rewrite_vq(vq):
    """A rewritten copy of a VQAutoencoder (the original is untouched). Returns (copy, rewrite counts)."""
    v = copy.deepcopy(vq).eval()
    n = _replace(v, lambda m: isinstance(m, vq_mod.Upsample), _UpAsNearestUpConv)
    c = _replace(v, lambda m: isinstance(m, vq_mod.Codebook), GemmCodebook)
    return v, {"nearest_up_conv": n, "gemm_codebook": c}
