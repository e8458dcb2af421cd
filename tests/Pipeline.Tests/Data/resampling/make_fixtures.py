#!/usr/bin/python3
"""Reference arrays for the C# resampling tests, produced by PyTorch itself.

Run with Debian's python3-torch (1.13): /usr/bin/python3 make_fixtures.py > torch_fixtures.json
Values are float32; they are written as the exact decimal of each float32 so C# reads them back bit-exact.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20261122)


def as_list(t):
    return [float(v) for v in t.detach().to(torch.float32).flatten().tolist()]


cases = []


def bicubic(name, x, scale):
    y = F.interpolate(x.unsqueeze(0), scale_factor=scale, mode="bicubic", align_corners=False)[0]
    cases.append({"name": name, "op": "bicubic", "scale": scale,
                  "input_shape": list(x.shape), "input": as_list(x),
                  "output_shape": list(y.shape), "output": as_list(y)})


def reflect(name, x, pad_h, pad_w):
    y = F.pad(x.unsqueeze(0), pad=(0, pad_w, 0, pad_h), mode="reflect")[0]
    cases.append({"name": name, "op": "reflect", "pad_h": pad_h, "pad_w": pad_w,
                  "input_shape": list(x.shape), "input": as_list(x),
                  "output_shape": list(y.shape), "output": as_list(y)})


# Values beyond [-1, 1] check that the result is not clamped (bicubic overshoots at edges).
bicubic("random_3x7x5_x4", torch.rand(3, 7, 5) * 2.4 - 1.2, 4)
bicubic("random_1x6x9_x2", torch.rand(1, 6, 9) * 2 - 1, 2)
bicubic("step_edge_1x4x4_x4", torch.tensor([[[-1., -1., 1., 1.]] * 4]), 4)
bicubic("single_pixel_3x1x1_x4", torch.tensor([[[0.25]], [[-0.5]], [[1.0]]]), 4)
bicubic("random_3x9x11_x4", torch.rand(3, 9, 11) * 2 - 1, 4)
reflect("reflect_3x5x6_to_8x9", torch.rand(3, 5, 6), 3, 3)
reflect("reflect_1x37x50_to_64x64", torch.rand(1, 37, 50), 27, 14)
reflect("reflect_2x4x4_by_3", torch.rand(2, 4, 4), 3, 2)

json.dump({"generator": "torch " + torch.__version__, "cases": cases}, sys.stdout)
