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


# What regenerating bird-tiny must reproduce, and how exactly.  Seeded draws (inputs, z0, the kernel network's
# weights, the mask) are bytes from PyTorch's CPU generator: identical on any machine.  Everything computed from
# them in floating point (UNet outputs, observations through numpy's sin/cos, gradients, trajectories) may differ
# in the last bits on another CPU (other SIMD paths), and after a few BIRD iterations those bits grow chaotically
# (docs/BIRD.md: an element crossing the clip edge switches its gradient factor, Adam makes any gradient a step of
# about one learning rate), so those are compared with a tolerance that a change to the code would still exceed.
SEEDED = {"verify/x.bin", "verify/t.bin", "parity/z0.bin", "parity/mask.bin", "parity/kn_u.bin", "parity/kn_w1.bin",
          "parity/kn_b1.bin", "parity/kn_w2.bin", "parity/kn_b2.bin"}


def _chaotic(name):
    """Tensors from after the first iteration: x0 after 5 or 20 iterations, states before iterations 5 and 20."""
    return "_resume" in name or name.endswith(("_x0_5.bin", "_x0_20.bin")) or name == "deblur_kernel_final.bin"


def _close(name, got, want):
    """None if `got` is `want` within the tolerance of its kind, else the reason."""
    import numpy as np
    if got.shape != want.shape:
        return f"{got.size} values, committed {want.size}"
    scale = float(np.abs(want).max()) or 1.0
    if _chaotic(name):
        # Relative L2: a few elements a learning rate apart pass; another algorithm or setting moves them all.
        err = float(np.linalg.norm(got.astype(np.float64) - want) / (np.linalg.norm(want.astype(np.float64)) or 1.0))
        return None if err <= 5e-2 else f"relative L2 difference {err:.2e} (bound 5e-2)"
    err = float(np.abs(got.astype(np.float64) - want).max()) / scale
    return None if err <= 1e-4 else f"max abs difference {err:.2e} of the largest value (bound 1e-4)"


def _compare_index(got, want, path="index"):
    """index.json: the same structure, equal integers and strings, floats within the loss curve's tolerance."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{path}: keys {sorted(got)} vs {sorted(want)}"
        for k in want:
            _compare_index(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: length"
        if path.endswith(".projections"):
            return  # signed sums of a gradient: compared with their norm (the C# test's RelativeToSummary bound)
        for i, (g, w) in enumerate(zip(got, want)):
            _compare_index(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        assert abs(got - want) <= 1e-3 * abs(want) + 1e-9, f"{path}: {got} vs {want}"
    else:
        assert got == want, f"{path}: {got!r} vs {want!r}"


def test_committed_tiny_model_and_parity_data_regenerate_identically():
    import numpy as np
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bird-tiny")
        r = subprocess.run(["bash", os.path.join(ENGINES, "bird-tiny", "regenerate.sh")], capture_output=True, text=True,
                           env=dict(os.environ, OUT=out), timeout=600)
        assert r.returncode == 0, r.stderr
        committed = os.path.join(ENGINES, "bird-tiny")
        # The graph and its seeded weights: byte for byte.
        assert filecmp.cmp(os.path.join(committed, "unet.onnx"), os.path.join(out, "unet.onnx"), shallow=False), "unet.onnx differs"
        problems = []
        for sub in ("verify", "parity"):
            names = sorted(os.listdir(os.path.join(committed, sub)))
            assert names == sorted(os.listdir(os.path.join(out, sub)))
            for n in names:
                a, b = os.path.join(committed, sub, n), os.path.join(out, sub, n)
                if f"{sub}/{n}" in SEEDED:
                    if not filecmp.cmp(a, b, shallow=False):
                        problems.append(f"{sub}/{n}: seeded data differs")
                elif n.endswith(".bin"):
                    why = _close(n, np.fromfile(b, dtype="<f4"), np.fromfile(a, dtype="<f4"))
                    if why:
                        problems.append(f"{sub}/{n}: {why}")
            _compare_index(json.load(open(os.path.join(out, sub, "index.json"))), json.load(open(os.path.join(committed, sub, "index.json"))), sub)
        assert not problems, "; ".join(problems)
