"""Graph wrappers, model construction from checkpoints or seeds, and tile geometry."""
import hashlib

import torch
import torch.nn as nn

from . import configs, build_unet, build_vq, random_init, load_checkpoint
from .vq import EncoderGraph, DecoderGraph


class DenoiserGraph(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, x, t, lq):
        return self.unet(x, t, lq)


class DenoiserMaskGraph(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, x, t, lq, mask):
        return self.unet(x, t, lq, mask)


def sha256_file(path, bufsize=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def load_models(model_id, widths="full", checkpoint=None, autoencoder=None, seed=None):
    """Build (cfg, unet, vq). With checkpoints: strict loading. Without: seeded random init."""
    cfg = configs.get(model_id, widths)
    unet, vq = build_unet(cfg), build_vq(cfg)
    if checkpoint:
        load_checkpoint(unet, checkpoint, strict=True)
    else:
        random_init(unet, seed)
        gain = cfg.get("latent_input_gain")
        if gain:
            # Test models only: the first conv's weights on the latent channels scaled down, so the random
            # network is contractive in x and a last-bit difference between runtimes does not grow over the
            # steps (with plain random weights 1e-5 grows to 2e-3 in 4 steps and parity cannot be measured).
            with torch.no_grad():
                unet.input_blocks[0][0].weight[:, :cfg["unet"]["in_channels"]].mul_(gain)
    if autoencoder:
        load_checkpoint(vq, autoencoder, strict=True)
    else:
        random_init(vq, seed + 1 if seed is not None else 1)
    return cfg, unet.eval(), vq.eval()


def geometry(cfg, tile):
    """Shapes for an LQ tile of `tile` pixels: latent side, encoder image side, denoiser lq side."""
    sf = cfg["scale"]
    factor = configs.latent_factor(cfg["vq"])
    img = tile * sf
    assert img % factor == 0, "tile * scale must be a multiple of the latent factor"
    lat = img // factor
    assert lat % 64 == 0, \
        "latent side must be a multiple of 64 (4 UNet levels x Swin window 8)"
    lq_side = lat * cfg["unet"]["lq_size"] // cfg["unet"]["image_size"]
    return dict(latent=lat, image=img, lq=lq_side, factor=factor,
                lat_ch=cfg["vq"]["embed_dim"], mask=bool(cfg["unet"]["cond_mask"]))
