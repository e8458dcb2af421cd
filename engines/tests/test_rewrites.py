"""The export's inference rewrites (resshift_models/rewrites.py) against the reference modules they replace."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from resshift_models import build_unet, build_vq, configs, random_init
from resshift_models import swin, unet as unet_mod, vq as vq_mod
from resshift_models.rewrites import (GemmCodebook, NearestUpConv, from_windows_two_step, rewrite_unet, rewrite_vq,
                                      to_windows_two_step)


def test_nearest_up_conv_equals_upsample_then_conv():
    g = torch.Generator().manual_seed(0)
    for cin, cout, h, w in ((5, 7, 6, 9), (16, 16, 1, 1), (3, 8, 2, 5)):
        conv = nn.Conv2d(cin, cout, 3, padding=1)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g))
            conv.bias.copy_(torch.randn(cout, generator=g))
        x = torch.randn(2, cin, h, w, generator=g)
        with torch.no_grad():
            ref = conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            got = NearestUpConv(conv)(x)
        assert got.shape == ref.shape == (2, cout, 2 * h, 2 * w)
        assert (got - ref).abs().max() < 1e-5 * (1 + ref.abs().max()), (cin, cout, h, w)
        # 2x2 kernels: 16/36 of the multiply-adds per low-resolution pixel
        assert NearestUpConv(conv).weight.shape == (4, cout, cin, 2, 2)


def test_gemm_codebook_picks_the_reference_codes_in_every_band():
    vq = random_init(build_vq(configs.get("tiny-x4")), 3)
    z = torch.randn(2, 3, 16, 24, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = vq.quantize(z)
        for budget in (1 << 22, 512 * 24 + 5, 512 * 24 * 5):   # one band, 1-row bands, uneven last band
            vq.quantize.budget = budget
            got = GemmCodebook(vq.quantize)(z)
            assert torch.equal(got, ref), budget
    # z sitting exactly on codes returns those codes
    e = vq.quantize.embedding.weight.detach()
    on = e[torch.arange(0, 40)].t().reshape(1, 3, 5, 8)
    with torch.no_grad():
        assert torch.equal(GemmCodebook(vq.quantize)(on), on)


def test_two_step_windows_are_bit_identical():
    x = torch.randn(2, 12, 32, 48)
    win = swin.to_windows(x, 8)
    assert torch.equal(to_windows_two_step(x, 8), win)
    assert torch.equal(from_windows_two_step(win, 8, 12, 32, 48), swin.from_windows(win, 8, 12, 32, 48))
    assert torch.equal(from_windows_two_step(win, 8, 12, 32, 48), x)


def test_rewritten_models_match_the_untouched_originals():
    cfg = configs.get("tiny-x4")
    unet, vq = random_init(build_unet(cfg), 1).eval(), random_init(build_vq(cfg), 2).eval()
    u2, nu = rewrite_unet(unet)
    v2, nv = rewrite_vq(vq)
    assert nu == {"nearest_up_conv": 3, "two_step_windows": 18}
    assert nv == {"nearest_up_conv": 2, "gemm_codebook": 1}
    # originals keep the reference modules
    assert sum(isinstance(m, unet_mod.Up) for m in unet.modules()) == 3
    assert sum(isinstance(m, vq_mod.Upsample) for m in vq.modules()) == 2
    assert isinstance(vq.quantize, vq_mod.Codebook)
    assert not any(isinstance(m, unet_mod.Up) for m in u2.modules())
    g = torch.Generator().manual_seed(3)
    x, lq = torch.randn(2, 3, 64, 64, generator=g), torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    t = torch.tensor([3, 0])
    z = torch.randn(2, 3, 64, 64, generator=g) * 0.5
    img = torch.rand(2, 3, 256, 256, generator=g) * 2 - 1
    with torch.no_grad():
        assert (u2(x, t, lq) - unet(x, t, lq)).abs().max() < 1e-4
        assert torch.equal(v2.encode(img), vq.encode(img))
        ref = vq.decode(z)
        assert (v2.decode(z) - ref).abs().max() < 1e-3 * (1 + ref.abs().max())
