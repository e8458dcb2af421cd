"""BIRD model side: the UNet's parameter layout (the committed key list), make_models' offline rule, strict
checkpoint loading, and that the committed tiny model and parity data come from this code."""
import filecmp
import json
import os
import subprocess
import tempfile

import torch

import importlib.util

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.dirname(HERE)


def _load(name):
    spec = importlib.util.spec_from_file_location("bird_" + name, os.path.join(ENGINES, "bird", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    import sys
    sys.path.insert(0, os.path.join(ENGINES, "bird"))
    spec.loader.exec_module(mod)
    return mod


def test_full_width_unet_has_the_committed_key_list():
    U = _load("unet")
    keys = json.load(open(os.path.join(ENGINES, "bird", "refkeys", "celeba_hq_256.json")))
    model = U.DdpmUNet()
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert list(got) == list(keys["keys"]), "names or order differ from refkeys/celeba_hq_256.json"
    assert got == keys["keys"]
    assert sum(p.numel() for p in model.parameters()) == keys["parameters"] == 113673219


def test_checkpoint_loading_is_strict():
    U = _load("unet")
    E = _load("export")
    with tempfile.TemporaryDirectory() as d:
        tiny = U.DdpmUNet(U.TINY)
        sd = {"module." + k: v for k, v in tiny.state_dict().items()}  # DataParallel prefix is accepted
        path = os.path.join(d, "ckpt.pth")
        torch.save(sd, path)
        E.load_checkpoint(U.DdpmUNet(U.TINY), path)
        sd.pop(next(iter(sd)))
        torch.save(sd, path)
        try:
            E.load_checkpoint(U.DdpmUNet(U.TINY), path)
        except RuntimeError as e:
            assert "Missing key" in str(e)
        else:
            raise AssertionError("a checkpoint with a missing key was accepted")


def test_make_models_bird_is_offline_and_clear():
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["bash", os.path.join(ENGINES, "make_models.sh"), "bird-celeba-256", "--out", d],
                           capture_output=True, text=True, env=dict(os.environ, RESSHIFT_WEIGHTS=d), timeout=60)
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert "celeba_hq.ckpt" in r.stderr and "--weights" in r.stderr and "drive.google.com" in r.stderr
        assert not os.path.exists(os.path.join(d, "model.json"))


def test_committed_tiny_model_and_parity_data_regenerate_identically():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bird-tiny")
        r = subprocess.run(["bash", os.path.join(ENGINES, "bird-tiny", "regenerate.sh")], capture_output=True, text=True,
                           env=dict(os.environ, OUT=out), timeout=600)
        assert r.returncode == 0, r.stderr
        committed = os.path.join(ENGINES, "bird-tiny")
        for sub in ("verify", "parity"):
            names = sorted(os.listdir(os.path.join(committed, sub)))
            assert names == sorted(os.listdir(os.path.join(out, sub)))
            for n in names:
                if n.endswith(".bin"):
                    assert filecmp.cmp(os.path.join(committed, sub, n), os.path.join(out, sub, n), shallow=False), f"{sub}/{n} differs"
