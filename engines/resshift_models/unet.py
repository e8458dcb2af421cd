"""ResShift denoiser (`UNetModelSwin` family), re-implemented.

Parameter names and shapes follow the official checkpoints so `load_state_dict(strict=True)` works:
time_embed.{0,2}, input_blocks.i.j.*, middle_block.{0,1,2}.*, output_blocks.i.j.*, out.{0,2},
feature_extractor.* (inpainting / faceir LQ stem).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .swin import SwinStage, group_norm


def timestep_features(t, dim, max_period=10000.0):
    """Sinusoidal embedding [cos(t f_i), sin(t f_i)], f_i = exp(-ln(max_period) i / (dim/2)); t is the raw index."""
    half = dim // 2
    # On t's device: a CUDA model must not mix a CPU frequency table into its GPU timestep.
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(max_period) / half))
    args = t.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)
    return emb


class ResBlock(nn.Module):
    """GN-SiLU-conv, FiLM (scale-shift) from the time embedding, GN-SiLU-(dropout)-conv, skip."""

    def __init__(self, cin, emb_dim, cout=None, scale_shift=True, groups=32):
        super().__init__()
        cout = cout or cin
        self.scale_shift = scale_shift
        self.in_layers = nn.Sequential(group_norm(cin, groups), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * cout if scale_shift else cout))
        self.out_layers = nn.Sequential(group_norm(cout, groups), nn.SiLU(), nn.Dropout(0.0),
                                        nn.Conv2d(cout, cout, 3, padding=1))
        self.skip_connection = nn.Identity() if cout == cin else nn.Conv2d(cin, cout, 1)

    def forward(self, x, emb):
        h = self.in_layers(x)
        e = self.emb_layers(emb).unsqueeze(-1).unsqueeze(-1)
        if self.scale_shift:
            scale, shift = torch.chunk(e, 2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            for layer in list(self.out_layers)[1:]:
                h = layer(h)
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.op = nn.Conv2d(cin, cout, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Step(nn.ModuleList):
    """Ordered container; ResBlocks get the time embedding, everything else only the feature map."""

    def forward(self, x, emb):
        for m in self:
            x = m(x, emb) if isinstance(m, ResBlock) else m(x)
        return x


class LqStem(nn.Sequential):
    """feature_extractor: n x (conv3x3 -> SiLU -> strided conv3x3 doubling channels)."""

    def __init__(self, cin, n):
        layers, c = [], 16
        for _ in range(n):
            layers += [nn.Conv2d(cin, c, 3, 1, 1), nn.SiLU(), Down(c, 2 * c)]
            c *= 2
            cin = c
        super().__init__(*layers)
        self.out_channels = c


class ResShiftUNet(nn.Module):
    def __init__(self, image_size=64, in_channels=3, model_channels=160, out_channels=3,
                 num_res_blocks=2, attention_resolutions=(64, 32, 16, 8), channel_mult=(1, 2, 2, 4),
                 num_head_channels=32, use_scale_shift_norm=True, swin_depth=2, swin_embed_dim=192,
                 window_size=8, mlp_ratio=4, cond_lq=True, cond_mask=False, lq_size=64, norm_groups=32,
                 **_ignored):
        super().__init__()
        if isinstance(num_res_blocks, int):
            num_res_blocks = [num_res_blocks] * len(channel_mult)
        self.model_channels = model_channels
        self.cond_mask = cond_mask
        emb_dim = 4 * model_channels
        heads = swin_embed_dim // num_head_channels
        ss = use_scale_shift_norm
        g = norm_groups

        def swin(ch, res):
            return SwinStage(ch, swin_embed_dim, heads, window_size, swin_depth, res, mlp_ratio, g)

        def rb(cin, cout):
            return ResBlock(cin, emb_dim, cout, ss, g)

        self.time_embed = nn.Sequential(nn.Linear(model_channels, emb_dim), nn.SiLU(),
                                        nn.Linear(emb_dim, emb_dim))
        lq_ch = 4 if cond_mask else 3
        if lq_size == image_size:
            self.feature_extractor = nn.Identity()
            extra = lq_ch
        else:
            n = int(round(math.log2(lq_size / image_size)))
            self.feature_extractor = LqStem(lq_ch, n)
            extra = self.feature_extractor.out_channels

        ch = int(channel_mult[0] * model_channels)
        first_ch = ch
        self.input_blocks = nn.ModuleList([Step([nn.Conv2d(in_channels + extra, ch, 3, padding=1)])])
        skips = [ch]
        res = image_size
        for level, mult in enumerate(channel_mult):
            for j in range(num_res_blocks[level]):
                cout = int(mult * model_channels)
                layers = [rb(ch, cout)]
                ch = cout
                if res in attention_resolutions and j == 0:
                    layers.append(swin(ch, res))
                self.input_blocks.append(Step(layers))
                skips.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(Step([Down(ch, ch)]))
                skips.append(ch)
                res //= 2

        self.middle_block = Step([rb(ch, ch), swin(ch, res), rb(ch, ch)])

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks[level] + 1):
                cout = int(model_channels * mult)
                layers = [rb(ch + skips.pop(), cout)]
                ch = cout
                if res in attention_resolutions and i == 0:
                    layers.append(swin(ch, res))
                if level and i == num_res_blocks[level]:
                    layers.append(Up(ch, ch))
                    res *= 2
                self.output_blocks.append(Step(layers))

        self.out = nn.Sequential(group_norm(ch, g), nn.SiLU(), nn.Conv2d(first_ch, out_channels, 3, padding=1))

    def forward(self, x, t, lq, mask=None):
        emb = self.time_embed(timestep_features(t, self.model_channels))
        if mask is not None:
            lq = torch.cat([lq, mask], dim=1)
        h = torch.cat([x, self.feature_extractor(lq)], dim=1)
        hs = []
        for blk in self.input_blocks:
            h = blk(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for blk in self.output_blocks:
            h = blk(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)
