import json
import os

import numpy as np

from resshift_models.schedule import make_schedule

GOLDEN = os.environ.get("RESSHIFT_GOLDEN", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "golden",
                                                         "resshift_schedule.json"))
# copy of shared/golden/resshift_schedule.json, used when the checkout has no shared/ folder
FALLBACK = os.path.join(os.path.dirname(__file__), "data", "resshift_schedule.json")


def test_schedule_matches_golden():
    path = GOLDEN if os.path.exists(GOLDEN) else FALLBACK
    g = json.load(open(path))
    for key in ("t4", "t15"):
        G = g[key]
        s = make_schedule(G["T"], G["kappa"], G["min_noise_level"], G["etas_end"], G["power"])
        n = 0
        for k, v in G.items():
            if isinstance(v, list):
                assert np.abs(np.asarray(v, np.float64) - s[k]).max() <= 1e-12, (key, k)
                n += 1
        assert abs(G["prior_std"] - s["prior_std"]) <= 1e-12
        assert n >= 10
    s4 = make_schedule(4)
    assert abs(s4["sqrt_eta"][0] - 0.1) < 1e-15 and s4["c1"][0] == 0.0 and s4["c2"][0] == 1.0


def test_timesteps_are_a_prefix_of_the_loop():
    assert make_schedule(4)["timesteps"] == [3, 2, 1, 0]
    assert make_schedule(15, min_noise_level=0.04, timesteps=[14])["timesteps"] == [14]
    assert make_schedule(15, min_noise_level=0.04, timesteps=[14, 13])["timesteps"] == [14, 13]
    for bad in ([], [13], [14, 12], [0], [15]):
        try:
            make_schedule(15, min_noise_level=0.04, timesteps=bad)
        except ValueError:
            continue
        raise AssertionError(f"timesteps {bad} accepted")
