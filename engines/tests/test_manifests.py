"""Manifests of every released model, the scale-1 test models, and make_models.sh for each id."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(__file__)
ENGINES = os.path.join(HERE, "..")
sys.path.insert(0, ENGINES)
import write_manifests  # noqa: E402
from resshift_models import configs  # noqa: E402

RELEASED = [k for k in configs.MODELS if k not in configs.TEST_MODELS]


def test_every_released_model_has_a_committed_manifest_equal_to_its_config():
    assert sorted(RELEASED) == sorted(["resshift-realsr-x4-v1", "resshift-realsr-x4-v2", "resshift-realsr-x4-v3",
                                       "resshift-bicsr-x4", "resshift-inpaint-imagenet", "resshift-inpaint-face",
                                       "resshift-faceir", "sinsr-realsr-x4-v1", "sinsr-realsr-x4-v2"])
    for model_id in RELEASED:
        committed = json.load(open(os.path.join(ENGINES, model_id, "model.json")))
        assert committed == json.loads(json.dumps(write_manifests.manifest(model_id))), model_id


def test_task_contract_and_shapes_in_the_manifests():
    m = {i: json.load(open(os.path.join(ENGINES, i, "model.json"))) for i in RELEASED}
    for i in ("resshift-realsr-x4-v1", "resshift-realsr-x4-v2"):
        assert m[i]["schedule"]["T"] == 15 and m[i]["schedule"]["min_noise_level"] == 0.04
    for i in ("resshift-realsr-x4-v3", "resshift-bicsr-x4", "resshift-inpaint-imagenet", "resshift-faceir"):
        assert m[i]["schedule"]["T"] == 4 and m[i]["schedule"]["min_noise_level"] == 0.2
    for i in ("resshift-inpaint-imagenet", "resshift-inpaint-face"):
        assert m[i]["input"]["mask"] is True and m[i]["scale"] == 1 and m[i]["lq_pad_multiple"] == 256
        assert "mask" in m[i]["io"]["denoiser"]["inputs"] and m[i]["tile"]["lq"] == 256
    f = m["resshift-faceir"]
    assert (f["scale"], f["latent"], f["input"]["exact_size"], f["lq_pad_multiple"]) == (1, {"factor": 8, "channels": 8}, 512, 512)
    assert m["resshift-inpaint-face"]["sources"][1]["url"].endswith("celeba256_vq_f4_dim3_face.pth")
    for i in RELEASED:
        sinsr = i.startswith("sinsr-")
        assert m[i]["licence"]["id"] == ("CC-BY-NC-SA-4.0" if sinsr else "NTU-S-Lab-1.0")
        assert m[i]["licence"]["commercial_use"] is False
        den, ae = m[i]["sources"]
        assert den["url"].startswith(configs.SINSR_RELEASE if sinsr else configs.RELEASE)
        assert ae["url"].startswith(configs.RELEASE)


def test_sinsr_manifests_are_one_step_at_t14_of_the_v1_schedule_with_resshifts_autoencoder():
    for v in ("v1", "v2"):
        m = json.load(open(os.path.join(ENGINES, f"sinsr-realsr-x4-{v}", "model.json")))
        assert m["schedule"] == {"T": 15, "kappa": 2.0, "min_noise_level": 0.04, "etas_end": 0.99, "power": 0.3,
                                 "timesteps": [14]}
        assert (m["task"], m["scale"], m["latent"], m["tile"]) == ("realsr", 4, {"factor": 4, "channels": 3}, {"lq": 64})
        assert [s["url"] for s in m["sources"]] == [
            f"https://github.com/wyf0912/SinSR/releases/download/v1.0/SinSR_{v}.pth",
            "https://github.com/zsyOAOA/ResShift/releases/download/v2.0/autoencoder_vq_f4.pth"]
        assert m["io"]["denoiser"]["inputs"] == ["x", "t", "lq"]
        assert m["parameters"] == {"denoiser": 118593583, "autoencoder": 55322782}
    # the reference config writes in_channels 6 (latent 3 + LQ 3); ours builds the same 6 -> 160 first conv
    cfg = configs.get("sinsr-realsr-x4-v1")
    assert cfg["unet"]["ref_in_channels"] == 6 == cfg["unet"]["in_channels"] + 3


def test_make_models_fails_fast_and_clearly_for_every_released_model_without_weights():
    with tempfile.TemporaryDirectory() as d:
        for model_id in RELEASED:
            cfg = configs.get(model_id)
            t0 = time.monotonic()
            r = subprocess.run(["bash", os.path.join(ENGINES, "make_models.sh"), model_id, "--out", d],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, RESSHIFT_RELEASE_BASE="http://127.0.0.1:9/", RESSHIFT_WEIGHTS=d,
                                        SINSR_RELEASE_BASE="http://127.0.0.1:9/",
                                        CONNECT_TIMEOUT="3"))
            assert r.returncode == 3, (model_id, r.returncode, r.stderr)
            assert time.monotonic() - t0 < 20
            assert "http://127.0.0.1:9/" + cfg["checkpoint"] in r.stderr and cfg["autoencoder"] in r.stderr
            assert "--weights" in r.stderr
            assert not os.path.exists(os.path.join(d, "model.json"))


def test_scale1_test_models_match_their_manifests_and_parity_keeps_known_pixels():
    for model_id, task in (("tiny-inpaint", "inpaint"), ("tiny-face", "faceir")):
        d = os.path.join(ENGINES, model_id)
        m = json.load(open(os.path.join(d, "model.json")))
        assert m["task"] == task and m["scale"] == 1 and m["licence"]["id"] == "MIT" and m["sources"] == []
        for role, f in m["files"].items():
            assert hashlib.sha256(open(os.path.join(d, f["path"]), "rb").read()).hexdigest() == f["sha256"], role
        p = json.load(open(os.path.join(d, "parity", "index.json")))
        for name, c in p["cases"].items():
            if task == "inpaint":
                assert c["stats"]["known_pixels_equal_input"] is True and 0.05 < c["stats"]["unknown_fraction"] < 0.5
            assert c["stats"]["out_std"] > 0.1, (model_id, name)
    assert json.load(open(os.path.join(ENGINES, "tiny-face", "model.json")))["latent"] == {"factor": 8, "channels": 8}
