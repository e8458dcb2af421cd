"""DDPM ε-prediction UNet with the parameter layout of the CelebA-HQ 256 checkpoint (celeba_hq.ckpt).

The checkpoint is the DDPM-style "simple" model used by SDEdit/DDRM/DDNM and by BIRD: six resolution levels,
two residual blocks per level, self-attention at 16x16, sinusoidal timestep embedding (ch -> 4ch -> 4ch),
GroupNorm(32, eps=1e-6) and swish.  Written here from the architecture description; module and parameter names
are chosen so that `load_state_dict(strict=True)` accepts the public checkpoint (names and shapes: refkeys/).
`groups` exists only so that the tiny test model (widths of 4) can keep the topology; the real model uses 32.
"""
import math
from dataclasses import dataclass, field
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class UNetConfig:
    ch: int = 128
    ch_mult: tuple = (1, 1, 2, 2, 4, 4)
    num_res_blocks: int = 2
    attn_resolutions: tuple = (16,)
    resolution: int = 256
    in_channels: int = 3
    out_ch: int = 3
    groups: int = 32

    def to_json(self):
        return {"ch": self.ch, "ch_mult": list(self.ch_mult), "num_res_blocks": self.num_res_blocks,
                "attn_resolutions": list(self.attn_resolutions), "resolution": self.resolution,
                "in_channels": self.in_channels, "out_ch": self.out_ch, "groups": self.groups}


CELEBA_HQ_256 = UNetConfig()
# Same topology, tiny widths and a 32x32 image: six levels 32 -> 1, attention at 16.
TINY = UNetConfig(ch=4, ch_mult=(1, 1, 2, 2, 2, 2), num_res_blocks=1, resolution=32, groups=2)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding [sin | cos] with frequencies exp(-log(1e4) * i / (dim/2 - 1))."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(10000.0) / (half - 1)))
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def swish(x):
    return x * torch.sigmoid(x)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x, temb):
        h = self.conv1(swish(self.norm1(x)))
        h = h + self.temb_proj(swish(temb))[:, :, None, None]
        h = self.conv2(swish(self.norm2(h)))  # dropout is 0 in the released config
        skip = self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x
        return skip + h


class Attention(nn.Module):
    """Single-head spatial self-attention with 1x1 q/k/v/proj convolutions."""

    def __init__(self, c: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        n, c, hh, ww = x.shape
        h = self.norm(x)
        q = self.q(h).flatten(2)            # n c L
        k = self.k(h).flatten(2)
        v = self.v(h).flatten(2)
        w = torch.softmax(torch.einsum("ncl,ncm->nlm", q, k) * (c ** -0.5), dim=2)  # query l, key m
        out = torch.einsum("ncm,nlm->ncl", v, w).reshape(n, c, hh, ww)
        return x + self.proj_out(out)


class Down(nn.Module):
    """Stride-2 3x3 convolution after a (0,1,0,1) zero pad."""

    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Up(nn.Module):
    """Nearest x2 then 3x3 convolution."""

    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    """One resolution level: `block` (ResBlocks), `attn` (maybe empty), optional `downsample`/`upsample`."""

    def __init__(self):
        super().__init__()
        self.block = nn.ModuleList()
        self.attn = nn.ModuleList()


class DdpmUNet(nn.Module):
    def __init__(self, cfg: UNetConfig = CELEBA_HQ_256):
        super().__init__()
        self.cfg = cfg
        ch, g = cfg.ch, cfg.groups
        temb = 4 * ch
        self.temb = nn.Module()
        self.temb.dense = nn.ModuleList([nn.Linear(ch, temb), nn.Linear(temb, temb)])
        self.conv_in = nn.Conv2d(cfg.in_channels, ch, 3, padding=1)

        widths = [ch * m for m in cfg.ch_mult]
        levels = len(widths)
        res = cfg.resolution
        skips: List[int] = [ch]
        c = ch
        self.down = nn.ModuleList()
        for i, w in enumerate(widths):
            lv = Level()
            for _ in range(cfg.num_res_blocks):
                lv.block.append(ResBlock(c, w, temb, g))
                c = w
                if res in cfg.attn_resolutions:
                    lv.attn.append(Attention(c, g))
                skips.append(c)
            if i != levels - 1:
                lv.downsample = Down(c)
                res //= 2
                skips.append(c)
            self.down.append(lv)

        self.mid = nn.Module()
        self.mid.block_1 = ResBlock(c, c, temb, g)
        self.mid.attn_1 = Attention(c, g)
        self.mid.block_2 = ResBlock(c, c, temb, g)

        ups = []
        for i in reversed(range(levels)):
            lv = Level()
            for _ in range(cfg.num_res_blocks + 1):
                lv.block.append(ResBlock(c + skips.pop(), widths[i], temb, g))
                c = widths[i]
                if res in cfg.attn_resolutions:
                    lv.attn.append(Attention(c, g))
            if i != 0:
                lv.upsample = Up(c)
                res *= 2
            ups.append(lv)
        self.up = nn.ModuleList(reversed(ups))  # index = level, as in the checkpoint
        self.norm_out = nn.GroupNorm(g, c, eps=1e-6)
        self.conv_out = nn.Conv2d(c, cfg.out_ch, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.temb.dense[1](swish(self.temb.dense[0](timestep_embedding(t, self.cfg.ch))))
        hs = [self.conv_in(x)]
        for lv in self.down:
            for j, blk in enumerate(lv.block):
                h = blk(hs[-1], e)
                if len(lv.attn):
                    h = lv.attn[j](h)
                hs.append(h)
            if hasattr(lv, "downsample"):
                hs.append(lv.downsample(hs[-1]))
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(hs[-1], e)), e)
        for lv in reversed(self.up):
            for j, blk in enumerate(lv.block):
                h = blk(torch.cat([h, hs.pop()], dim=1), e)
                if len(lv.attn):
                    h = lv.attn[j](h)
            if hasattr(lv, "upsample"):
                h = lv.upsample(h)
        return self.conv_out(swish(self.norm_out(h)))


def key_list(model: nn.Module):
    return [{"name": k, "shape": list(v.shape)} for k, v in model.state_dict().items()]
