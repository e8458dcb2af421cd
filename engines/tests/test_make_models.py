"""make_models.sh: offline failure message, and the export path given local (fake, tiny-width) checkpoints."""
import hashlib
import json
import os
import subprocess
import tempfile

import torch

from resshift_models import build_unet, build_vq, configs, random_init

SH = os.path.join(os.path.dirname(__file__), "..", "make_models.sh")


def _run(args, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run(["bash", SH] + args, capture_output=True, text=True, env=env, timeout=170)


def test_offline_failure_is_fast_and_clear():
    with tempfile.TemporaryDirectory() as d:
        # port 9 on localhost: connection refused, deterministic without network; same path as no internet
        r = _run(["resshift-realsr-x4-v3", "--out", d],
                 {"RESSHIFT_RELEASE_BASE": "http://127.0.0.1:9/", "RESSHIFT_WEIGHTS": d, "CONNECT_TIMEOUT": "3"})
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert "http://127.0.0.1:9/resshift_realsrx4_s4_v3.pth" in r.stderr
        assert "--weights" in r.stderr and "Manual alternative" in r.stderr
        assert not os.path.exists(os.path.join(d, "model.json"))


def test_unknown_id():
    r = _run(["no-such-model"], {})
    assert r.returncode == 2 and "unknown model id" in r.stderr


def test_export_from_local_checkpoints_and_sha_check():
    cfg = configs.get("resshift-realsr-x4-v3", "tiny")
    with tempfile.TemporaryDirectory() as d:
        w = os.path.join(d, "w")
        os.makedirs(w)
        torch.save({"state_dict": {"module." + k: v for k, v in random_init(build_unet(cfg), 1).state_dict().items()}},
                   os.path.join(w, "resshift_realsrx4_s4_v3.pth"))
        torch.save(random_init(build_vq(cfg), 2).state_dict(), os.path.join(w, "autoencoder_vq_f4.pth"))
        sha = {f: hashlib.sha256(open(os.path.join(w, f), "rb").read()).hexdigest() for f in os.listdir(w)}
        out = os.path.join(d, "out")
        extra = ["--", "--widths", "tiny", "--verify-batch", "1", "--graphs", "denoiser"]
        r = _run(["resshift-realsr-x4-v3", "--weights", w, "--out", out] + extra,
                 {"RESSHIFT_MANIFEST": os.path.join(d, "none.json")})
        assert r.returncode == 0, r.stderr[-3000:]
        assert "not yet recorded" in r.stderr
        m = json.load(open(os.path.join(out, "model.json")))
        src = {s["role"]: s for s in m["sources"]}
        assert src["denoiser"]["sha256"] == sha["resshift_realsrx4_s4_v3.pth"]
        assert src["denoiser"]["url"].endswith("/v2.0/resshift_realsrx4_s4_v3.pth")
        assert src["autoencoder"]["sha256"] == sha["autoencoder_vq_f4.pth"]
        assert m["licence"]["id"] == "NTU-S-Lab-1.0" and m["id"] == "resshift-realsr-x4-v3"
        # a manifest that records a different hash must stop the export
        bad = os.path.join(d, "bad.json")
        json.dump({"sources": [{"role": "denoiser", "url": "x", "sha256": "0" * 64}]}, open(bad, "w"))
        r = _run(["resshift-realsr-x4-v3", "--weights", w, "--out", os.path.join(d, "o2")] + extra,
                 {"RESSHIFT_MANIFEST": bad})
        assert r.returncode == 4 and "sha256 mismatch" in r.stderr
        # the recorded (matching) hash is accepted
        good = os.path.join(d, "good.json")
        json.dump({"sources": [{"role": "denoiser", "url": "x", "sha256": sha["resshift_realsrx4_s4_v3.pth"]}]},
                  open(good, "w"))
        r = _run(["resshift-realsr-x4-v3", "--weights", w, "--out", os.path.join(d, "o3")] + extra,
                 {"RESSHIFT_MANIFEST": good})
        assert r.returncode == 0 and "sha256 ok" in r.stderr, r.stderr[-2000:]
