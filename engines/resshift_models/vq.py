"""VQ autoencoder (VQ-f4 / face VQ-f8) used by ResShift, re-implemented.

Parameter names follow the official checkpoints: encoder.*, decoder.*, quant_conv, post_quant_conv,
quantize.embedding.weight.  encode = encoder + quant_conv (no quantisation);
decode = nearest-codebook quantisation + post_quant_conv + decoder.  GroupNorm eps 1e-6.

The single-head global attention in the middle of encoder/decoder is evaluated in query chunks so that
no more than `chunk x tokens` scores exist at once (see engines/README.md for memory per tile size).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# at most this many fp32 attention scores (per image) are materialised at once: 4 Mi x 4 B = 16 MiB
SCORE_BUDGET = 1 << 22


def norm(c, groups=32):
    return nn.GroupNorm(groups, c, eps=1e-6)


def swish(x):
    return x * torch.sigmoid(x)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, g=32):
        super().__init__()
        self.norm1 = norm(cin, g)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = norm(cout, g)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)
        self.cin, self.cout = cin, cout

    def forward(self, x):
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))
        if self.cin != self.cout:
            x = self.nin_shortcut(x)
        return x + h


def chunked_attention(q, k, v, budget=SCORE_BUDGET):
    """softmax(q k^T / sqrt(C)) v for q,k,v [B, L, C], computed over static query chunks (exact)."""
    L, C = int(q.shape[1]), int(q.shape[2])
    step = max(1, min(L, budget // L))
    kt = k.transpose(1, 2) * (C ** -0.5)
    outs = []
    for s in range(0, L, step):
        w = torch.softmax(torch.matmul(q[:, s:s + step], kt).float(), dim=-1).to(v.dtype)
        outs.append(torch.matmul(w, v))
    return outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)


class AttnBlock(nn.Module):
    def __init__(self, c, g=32):
        super().__init__()
        self.norm = norm(c, g)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)
        self.budget = SCORE_BUDGET

    def forward(self, x):
        c, hh, ww = x.shape[1], int(x.shape[2]), int(x.shape[3])
        h = self.norm(x)
        flat = lambda t: t.reshape(-1, c, hh * ww).transpose(1, 2)  # [B, L, C]
        o = chunked_attention(flat(self.q(h)), flat(self.k(h)), flat(self.v(h)), self.budget)
        o = o.transpose(1, 2).reshape(-1, c, hh, ww)
        return x + self.proj_out(o)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Mid(nn.Module):
    def __init__(self, c, g=32):
        super().__init__()
        self.block_1 = ResnetBlock(c, c, g)
        self.attn_1 = AttnBlock(c, g)
        self.block_2 = ResnetBlock(c, c, g)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Level(nn.Module):
    pass


def _blocks(n, levels):
    return [n] * levels if isinstance(n, int) else list(n)


class Encoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, in_channels, z_channels, g=32, **_):
        super().__init__()
        nrb = _blocks(num_res_blocks, len(ch_mult))
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        self.down = nn.ModuleList()
        c = ch
        for i, m in enumerate(ch_mult):
            lv = Level()
            lv.block = nn.ModuleList()
            for _ in range(nrb[i]):
                lv.block.append(ResnetBlock(c, ch * m, g))
                c = ch * m
            lv.attn = nn.ModuleList()
            if i != len(ch_mult) - 1:
                lv.downsample = Downsample(c)
            self.down.append(lv)
        self.mid = Mid(c, g)
        self.norm_out = norm(c, g)
        self.conv_out = nn.Conv2d(c, z_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for i, lv in enumerate(self.down):
            for b in lv.block:
                h = b(h)
            if i != len(self.down) - 1:
                h = lv.downsample(h)
        h = self.mid(h)
        return self.conv_out(swish(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, out_ch, z_channels, g=32, **_):
        super().__init__()
        nrb = _blocks(num_res_blocks, len(ch_mult))
        c = ch * ch_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, c, 3, padding=1)
        self.mid = Mid(c, g)
        levels = [None] * len(ch_mult)
        for i in reversed(range(len(ch_mult))):
            lv = Level()
            lv.block = nn.ModuleList()
            for _ in range(nrb[i] + 1):
                lv.block.append(ResnetBlock(c, ch * ch_mult[i], g))
                c = ch * ch_mult[i]
            lv.attn = nn.ModuleList()
            if i != 0:
                lv.upsample = Upsample(c)
            levels[i] = lv
        self.up = nn.ModuleList(levels)
        self.norm_out = norm(c, g)
        self.conv_out = nn.Conv2d(c, out_ch, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for i in reversed(range(len(self.up))):
            lv = self.up[i]
            for b in lv.block:
                h = b(h)
            if i != 0:
                h = lv.upsample(h)
        return self.conv_out(swish(self.norm_out(h)))


class Codebook(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.embedding = nn.Embedding(n, dim)
        self.budget = SCORE_BUDGET

    def forward(self, z):
        """Nearest codebook entry per pixel: d = ||z||^2 + ||e||^2 - 2 z.e (fp32), first argmin, gather.

        Evaluated over static row bands so that at most ~budget distances exist at once."""
        e = self.embedding.weight.float()  # [K, D]
        zf = z.float()
        K, H, W = e.shape[0], int(z.shape[2]), int(z.shape[3])
        rows = max(1, min(H, self.budget // (K * W)))
        ee = (e * e).sum(1).reshape(1, K, 1, 1)
        outs = []
        for r in range(0, H, rows):
            zb = zf[:, :, r:r + rows]                                  # [B, D, r, W]
            zz = (zb * zb).sum(1, keepdim=True)                         # [B, 1, r, W]
            ze = torch.einsum("bdhw,kd->bkhw", zb, e)                   # [B, K, r, W]
            d = (zz + ee) - 2.0 * ze
            idx = torch.argmin(d, dim=1)                                # [B, r, W]
            outs.append(F.embedding(idx, e).permute(0, 3, 1, 2))        # [B, D, r, W]
        q = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
        return q.to(z.dtype)


class VQAutoencoder(nn.Module):
    def __init__(self, embed_dim=3, n_embed=8192, ch=128, ch_mult=(1, 2, 4), num_res_blocks=2,
                 in_channels=3, out_ch=3, z_channels=3, norm_groups=32, **_ignored):
        super().__init__()
        dd = dict(ch=ch, ch_mult=list(ch_mult), num_res_blocks=num_res_blocks, in_channels=in_channels,
                  out_ch=out_ch, z_channels=z_channels, g=norm_groups)
        self.encoder = Encoder(**dd)
        self.decoder = Decoder(**dd)
        self.quantize = Codebook(n_embed, embed_dim)
        self.quant_conv = nn.Conv2d(z_channels, embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, z_channels, 1)
        self.factor = 2 ** (len(ch_mult) - 1)

    def set_budget(self, budget):
        for m in self.modules():
            if isinstance(m, (AttnBlock, Codebook)):
                m.budget = budget

    def encode(self, x):
        return self.quant_conv(self.encoder(x))

    def decode(self, z):
        return self.decoder(self.post_quant_conv(self.quantize(z)))


class EncoderGraph(nn.Module):
    def __init__(self, vq):
        super().__init__()
        self.vq = vq

    def forward(self, image):
        return self.vq.encode(image)


class DecoderGraph(nn.Module):
    def __init__(self, vq):
        super().__init__()
        self.vq = vq

    def forward(self, latent):
        return self.vq.decode(latent)
