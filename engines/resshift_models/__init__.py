"""Our own PyTorch implementation of the ResShift networks (denoiser UNetModelSwin family + VQ autoencoders)."""
import math

import torch
import torch.nn as nn

from . import configs
from .unet import ResShiftUNet, ResBlock
from .vq import VQAutoencoder, ResnetBlock, EncoderGraph, DecoderGraph
from .swin import SwinStage, WindowAttention
from .schedule import make_schedule

__all__ = ["configs", "ResShiftUNet", "VQAutoencoder", "EncoderGraph", "DecoderGraph", "make_schedule",
           "build_unet", "build_vq", "random_init", "load_checkpoint", "count_params"]


def build_unet(cfg):
    return ResShiftUNet(**cfg["unet"]).eval()


def build_vq(cfg):
    return VQAutoencoder(**cfg["vq"]).eval()


def count_params(module):
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def random_init(module, seed):
    """Deterministic, activation-preserving random weights (for models without a checkpoint).

    Conv/Linear weights ~ N(0, 1/fan_in) (keeps activations O(1) through GroupNorm-SiLU stacks); the last conv of
    every residual branch is scaled by 0.5; GroupNorm affine params are jittered around (1, 0); relative position
    tables ~ N(0, 0.02^2); codebook entries ~ N(0, 0.5^2) so nearest-code quantisation is not degenerate."""
    g = torch.Generator().manual_seed(int(seed))
    rn = lambda t, std: t.copy_(torch.randn(t.shape, generator=g) * std)
    residual_last = set()
    for m in module.modules():
        if isinstance(m, ResBlock):
            residual_last.add(id(m.out_layers[3]))
        if isinstance(m, ResnetBlock):
            residual_last.add(id(m.conv2))
    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            gain = 0.5 if id(m) in residual_last else 1.0
            rn(m.weight, gain / math.sqrt(fan_in))
            if m.bias is not None:
                rn(m.bias, 0.02)
        elif isinstance(m, nn.GroupNorm):
            m.weight.copy_(1.0 + torch.randn(m.weight.shape, generator=g) * 0.1)
            rn(m.bias, 0.1)
        elif isinstance(m, nn.Embedding):
            rn(m.weight, 0.5)
        elif isinstance(m, WindowAttention):
            rn(m.relative_position_bias_table, 0.02)
    return module


def _strip(sd):
    out = {}
    for k, v in sd.items():
        for p in ("module.", "_orig_mod."):
            if k.startswith(p):
                k = k[len(p):]
        out[k] = v
    return out


def read_state_dict(path):
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return _strip(state)


def load_checkpoint(module, path, strict=True):
    sd = read_state_dict(path)
    sd = {k: (v.float() if torch.is_floating_point(v) else v) for k, v in sd.items()}
    res = module.load_state_dict(sd, strict=strict)
    return res
