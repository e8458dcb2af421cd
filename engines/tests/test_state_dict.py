"""State-dict round trip with checkpoints built from the reference key/shape lists (refkeys/*.json)."""
import json
import os
import tempfile

import torch

from resshift_models import build_unet, build_vq, configs, count_params, load_checkpoint

REF = os.path.join(os.path.dirname(__file__), "..", "resshift_models", "refkeys")


def _ref(name):
    return json.load(open(os.path.join(REF, name + ".json")))["keys"]


def _fake_state(keys, seed):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for k, v in keys.items():
        if v["dtype"] == "int64":
            sd[k] = torch.randint(0, 100, v["shape"], generator=g, dtype=torch.int64)
        else:
            sd[k] = torch.randn(v["shape"], generator=g, dtype=torch.float32)
    return sd


def _same_layout(module, keys):
    sd = module.state_dict()
    assert set(sd) == set(keys), (sorted(set(sd) ^ set(keys)))[:10]
    for k, v in keys.items():
        assert list(sd[k].shape) == v["shape"], (k, list(sd[k].shape), v["shape"])


def _round_trip(module, keys, seed, wrap):
    sd = _fake_state(keys, seed)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "fake.pth")
        obj = {"state_dict": {"module." + k: v for k, v in sd.items()}} if wrap else sd
        torch.save(obj, p)
        del obj
        load_checkpoint(module, p, strict=True)
    got = module.state_dict()
    for k in list(sd)[:: max(1, len(sd) // 40)] + [list(sd)[-1]]:
        assert torch.equal(got[k], sd[k]), k


def test_realsr_v3_unet_full_width_round_trip():
    cfg = configs.get("resshift-realsr-x4-v3")
    u = build_unet(cfg)
    assert count_params(u) == 118593583
    keys = _ref("unet_realsr")
    _same_layout(u, keys)
    _round_trip(u, keys, 1, wrap=True)


def test_vq_f4_round_trip():
    v = build_vq(configs.get("resshift-realsr-x4-v3"))
    assert count_params(v) == 55322782
    keys = _ref("vq_f4")
    _same_layout(v, keys)
    _round_trip(v, keys, 2, wrap=False)


def test_other_official_layouts():
    _same_layout(build_unet(configs.get("resshift-inpaint-imagenet")), _ref("unet_inpaint"))
    _same_layout(build_unet(configs.get("resshift-faceir")), _ref("unet_faceir"))
    _same_layout(build_vq(configs.get("resshift-faceir")), _ref("vq_f8_face"))
    for mid in ("resshift-realsr-x4-v1", "resshift-realsr-x4-v2", "resshift-bicsr-x4"):
        assert configs.get(mid)["unet"] == configs.get("resshift-realsr-x4-v3")["unet"]
    assert configs.get("resshift-realsr-x4-v1")["schedule"]["T"] == 15
    assert configs.get("resshift-realsr-x4-v1")["schedule"]["min_noise_level"] == 0.04


def test_sinsr_unet_has_the_realsr_reference_layout_and_loads_strictly():
    # SinSR's UNetModelSwin (its configs/SinSR.yaml, in_channels 6 = latent 3 + LQ 3) has the same state-dict keys
    # and shapes as ResShift's realsr denoiser: checked once against SinSR's own class (engines/README.md), so the
    # realsr key list stands for both. Its loader unwraps "state_dict" and strips "module.", as ours does.
    cfg = configs.get("sinsr-realsr-x4-v1")
    u = build_unet(cfg)
    keys = _ref("unet_realsr")
    _same_layout(u, keys)
    _round_trip(u, keys, 3, wrap=True)
