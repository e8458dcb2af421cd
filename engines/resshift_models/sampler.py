"""The ResShift sampling loop (resshift.md section 3) in PyTorch, one tile, SR x4 / sf=1 tasks; a schedule
with "timesteps" runs only those steps (SinSR: t = 14 of 15) and returns the last one's x0.

Used to produce parity data for the C# runtime.  noise_scale s multiplies prior_std and sigma; s = 0 is the
deterministic posterior-mean path.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .schedule import make_schedule


def reflect_pad(y, multiple):
    """Reflect-pad NCHW bottom/right to a multiple (PyTorch 'reflect': mirror without repeating the edge)."""
    h, w = y.shape[2], y.shape[3]
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return y
    return F.pad(y, (0, pw, 0, ph), mode="reflect")


def bicubic_up(y, sf):
    """PyTorch bicubic (a=-0.75, half-pixel, clamped border taps, no antialias, not clamped)."""
    return F.interpolate(y, scale_factor=sf, mode="bicubic", align_corners=False)


def to_uint8(img):
    """round-half-even(255 * (0.5 * clamp(img, -1, 1) + 0.5)), NCHW float -> NHWC uint8."""
    out = (img.clamp(-1.0, 1.0) * 0.5 + 0.5) * 255.0
    return torch.round(out).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


@torch.no_grad()
def sample(unet, vq, y, sched_cfg, sf=4, pad_multiple=64, noise_scale=0.0, generator=None, mask=None,
           record=None):
    """Run the whole pipeline on an LQ batch y in [-1, 1] (NCHW float32). Returns the decoded image (float,
    cropped to sf x the unpadded size, not clamped).  If `record` is a dict it receives every intermediate."""
    s = make_schedule(**sched_cfg)
    h0, w0 = y.shape[2], y.shape[3]
    yp = reflect_pad(y, pad_multiple)
    y_up = bicubic_up(yp, sf) if sf != 1 else yp
    z_y = vq.encode(y_up)
    f32 = lambda v: float(np.float32(v))

    def noise(like):
        if noise_scale == 0.0:
            return torch.zeros_like(like)
        # Drawn on the generator's device (CPU by default) and moved: the same seed gives the same noise
        # whether the model runs on the CPU or a GPU.
        gen_device = generator.device if generator is not None else torch.device("cpu")
        return torch.randn(like.shape, generator=generator, dtype=like.dtype, device=gen_device).to(like.device)

    x = z_y + f32(s["prior_std"] * noise_scale) * noise(z_y)
    if record is not None:
        record.update(y=yp.clone(), y_up=y_up.clone(), z_y=z_y.clone(), x_T=x.clone(), steps=[])
    steps = s["timesteps"]
    for i, t in enumerate(steps):
        tt = torch.full((y.shape[0],), t, dtype=torch.int64, device=y.device)
        x_in = x / f32(s["input_std"][t])
        x0 = unet(x_in, tt, yp, mask) if mask is not None else unet(x_in, tt, yp)
        if i == len(steps) - 1:
            # the last call's prediction is the result: at t = 0 (the whole loop) c1 = 0, c2 = 1 and no noise,
            # so this is the update itself; a shortened loop (SinSR, t = 14) returns pred_xstart as its reference
            x = x0
        else:
            x = f32(s["c1"][t]) * x + f32(s["c2"][t]) * x0
            x = x + f32(s["sigma"][t] * noise_scale) * noise(x)
        if record is not None:
            record["steps"].append(dict(t=t, x_in=x_in.clone(), x0=x0.clone(), x=x.clone()))
    img = vq.decode(x)
    if record is not None:
        record["decoded_full"] = img.clone()
    img = img[:, :, :h0 * sf, :w0 * sf]
    if record is not None:
        record["decoded"] = img.clone()
        record["uint8"] = to_uint8(img)
    return img
