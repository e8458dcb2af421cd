"""Windowed self-attention stage used inside the ResShift denoiser.

Written from the published description and the reference's parameter layout; parameter names follow the
official checkpoints (patch_embed.proj, blocks.i.norm1/attn/norm2/mlp, patch_unembed.proj).

The shifted-window mask is NOT the stock Swin mask: see `resshift_shift_mask`.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_FILL = -100.0


def resshift_shift_mask(height, width, window, shift):
    """Additive attention mask [nW, window*window, window*window] (0 or -100) reproducing the reference.

    The reference labels a (1, 1, H, W) image with a 3x3 grid of slices but indexes it as if it were
    (1, H, W, 1): the row slices hit the singleton axis (only the last, `-shift:` slice is non-empty there),
    the column slices hit the H axis and the W axis is taken whole.  The net effect is a label that depends on
    the image ROW only: rows [0, H-window) -> A, [H-window, H-shift) -> B, [H-shift, H) -> C.  The labelled
    image is then cut into windows and flattened in (column, row) order while the tokens themselves are
    flattened in (row, column) order, so token k = r*window + c of window (wr, wc) receives the label of image
    row wr*window + c.  Consequently only the last row of windows carries a mask, and inside it the tokens are
    split by their COLUMN (c < window-shift vs c >= window-shift).  Pairs with different labels get -100.
    """
    if shift <= 0:
        return None
    assert height % window == 0 and width % window == 0
    row_label = np.zeros(height, dtype=np.int64)
    row_label[height - window:height - shift] = 1
    row_label[height - shift:] = 2
    nwr, nwc = height // window, width // window
    tok_col = np.arange(window * window) % window  # column of token k inside its window
    masks = np.zeros((nwr * nwc, window * window, window * window), dtype=np.float32)
    for wr in range(nwr):
        lab = row_label[wr * window + tok_col]  # [N]
        diff = lab[:, None] != lab[None, :]
        m = np.where(diff, np.float32(MASK_FILL), np.float32(0.0)).astype(np.float32)
        for wc in range(nwc):
            masks[wr * nwc + wc] = m
    return masks


def stock_swin_mask(height, width, window, shift):
    """The standard Swin-Transformer mask (for comparison in tests only; NOT used by the model)."""
    lab = np.zeros((height, width), dtype=np.int64)
    cuts = lambda n: [(0, n - window), (n - window, n - shift), (n - shift, n)]
    cnt = 0
    for h0, h1 in cuts(height):
        for w0, w1 in cuts(width):
            lab[h0:h1, w0:w1] = cnt
            cnt += 1
    nwr, nwc = height // window, width // window
    out = np.zeros((nwr * nwc, window * window, window * window), dtype=np.float32)
    for wr in range(nwr):
        for wc in range(nwc):
            l = lab[wr * window:(wr + 1) * window, wc * window:(wc + 1) * window].reshape(-1)
            out[wr * nwc + wc] = np.where(l[:, None] != l[None, :], MASK_FILL, 0.0)
    return out


def relative_index(window):
    """[N, N] int64 index into the (2w-1)^2 relative-position table; tokens flattened row-major."""
    ys, xs = np.meshgrid(np.arange(window), np.arange(window), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    dy = ys[:, None] - ys[None, :] + (window - 1)
    dx = xs[:, None] - xs[None, :] + (window - 1)
    return torch.from_numpy((dy * (2 * window - 1) + dx).astype(np.int64))


def to_windows(x, window):
    """[B, C, H, W] -> [B*nW, window*window, C] (windows row-major, tokens row-major)."""
    _, c, h, w = x.shape
    x = x.reshape(-1, c, h // window, window, w // window, window)
    x = x.permute(0, 2, 4, 3, 5, 1)
    return x.reshape(-1, window * window, c)


def from_windows(win, window, c, h, w):
    """Inverse of to_windows: [B*nW, window*window, C] -> [B, C, H, W]."""
    x = win.reshape(-1, h // window, w // window, window, window, c)
    x = x.permute(0, 5, 1, 3, 2, 4)
    return x.reshape(-1, c, h, w)


def group_norm(channels, groups=32, eps=1e-5):
    return nn.GroupNorm(groups, channels, eps=eps)


class WindowAttention(nn.Module):
    def __init__(self, dim, window, heads):
        super().__init__()
        self.dim, self.window, self.heads = dim, window, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", relative_index(window))
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None, mask_cols=1):
        # x: [B*nW, N, C] (windows row-major); mask: [nW // mask_cols, N, N] or None
        n, c, hd = x.shape[1], self.dim, self.dim // self.heads
        qkv = self.qkv(x).reshape(-1, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.matmul(q * self.scale, k.transpose(-2, -1))
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        att = att + bias.reshape(n, n, self.heads).permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            # mask: [rows of windows, N, N]; identical for every window of a row (true for the ResShift mask),
            # broadcast over the window columns so the graph carries nWr*N*N constants, not nW*N*N.
            nwr, nwc = mask.shape[0], mask_cols
            att = att.reshape(-1, nwr, nwc, self.heads, n, n) + mask.reshape(1, nwr, 1, 1, n, n)
            att = att.reshape(-1, self.heads, n, n)
        att = torch.softmax(att.float(), dim=-1).to(v.dtype)
        out = torch.matmul(att, v).transpose(1, 2).reshape(-1, n, c)
        return self.proj(out)


class ConvMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class SwinBlock(nn.Module):
    def __init__(self, dim, resolution, heads, window, shift, mlp_ratio, groups=32):
        super().__init__()
        if resolution <= window:  # reference: no partition / no shift when the map fits in one window
            window, shift = resolution, 0
        self.window, self.shift, self.resolution = window, shift, resolution
        self.norm1 = group_norm(dim, groups)
        self.attn = WindowAttention(dim, window, heads)
        self.norm2 = group_norm(dim, groups)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio))
        if shift > 0:
            m = resshift_shift_mask(resolution, resolution, window, shift)
            self.register_buffer("attn_mask", torch.from_numpy(m))
        else:
            self.attn_mask = None
        self._mask_cache = {}
        # layout functions (export may swap in faster equivalents: see rewrites.py)
        self.to_windows, self.from_windows = to_windows, from_windows

    def _mask(self, h, w, dtype):
        """Per-row-of-windows mask [H/window, N, N] for an (h, w) map (None when not shifted)."""
        if self.shift == 0:
            return None
        if h == self.resolution and w == self.resolution:
            full = self.attn_mask  # the buffer (as loaded from the checkpoint) for the configured size
        else:
            key = (h, w)
            if key not in self._mask_cache:
                self._mask_cache[key] = torch.from_numpy(resshift_shift_mask(h, w, self.window, self.shift))
            full = self._mask_cache[key]
        nwr, nwc = h // self.window, w // self.window
        full = full.reshape(nwr, nwc, full.shape[-2], full.shape[-1])
        per_row = full[:, 0]
        if not torch.jit.is_tracing() and not bool((full == per_row.unsqueeze(1)).all()):
            raise ValueError("attention mask differs between windows of one row")
        return per_row.to(dtype)

    def forward(self, x):
        c, h, w = x.shape[1], x.shape[2], x.shape[3]
        h, w = int(h), int(w)
        y = self.norm1(x)
        if self.shift > 0:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(2, 3))
        win = self.attn(self.to_windows(y, self.window), self._mask(h, w, y.dtype), w // self.window)
        y = self.from_windows(win, self.window, c, h, w)
        if self.shift > 0:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(2, 3))
        x = x + y
        return x + self.mlp(self.norm2(x))


class _Proj(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.proj = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.proj(x)


class SwinStage(nn.Module):
    """1x1 conv in -> `depth` Swin blocks (shift 0, window//2, 0, ...) -> 1x1 conv out."""

    def __init__(self, channels, dim, heads, window, depth, resolution, mlp_ratio, groups=32):
        super().__init__()
        self.patch_embed = _Proj(channels, dim)
        self.blocks = nn.ModuleList([
            SwinBlock(dim, resolution, heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio, groups)
            for i in range(depth)])
        self.patch_unembed = _Proj(dim, channels)

    def forward(self, x):
        x = self.patch_embed(x)
        for b in self.blocks:
            x = b(x)
        return self.patch_unembed(x)
