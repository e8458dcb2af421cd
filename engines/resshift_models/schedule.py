"""ResShift noise schedule (float64), resshift.md section 2."""
import math

import numpy as np


def make_schedule(T, kappa=2.0, min_noise_level=0.2, etas_end=0.99, power=0.3, timesteps=None):
    """`timesteps`: the denoiser calls in order, a prefix T-1, T-2, .. of the loop (SinSR: [T-1]); the last call's
    x0 is the result. Default: the whole loop T-1..0."""
    steps = list(range(T - 1, -1, -1)) if timesteps is None else [int(t) for t in timesteps]
    if not steps or steps != list(range(T - 1, T - 1 - len(steps), -1)):
        raise ValueError(f"timesteps {timesteps} must be T-1, T-2, ... (a prefix of the {T}-step loop)")
    s0 = min(min_noise_level / kappa, min_noise_level)
    b = math.exp(math.log(etas_end / s0) / (T - 1))
    expo = (np.arange(T, dtype=np.float64) / (T - 1)) ** power * (T - 1)
    sqrt_eta = np.power(np.full(T, b, dtype=np.float64), expo) * s0
    eta = sqrt_eta ** 2
    eta_prev = np.concatenate([[0.0], eta[:-1]])
    alpha = eta - eta_prev
    c1 = eta_prev / eta
    c2 = alpha / eta
    var = kappa ** 2 * eta_prev / eta * alpha
    var_clipped = np.concatenate([var[1:2], var[1:]])
    return {
        "T": T, "kappa": kappa, "min_noise_level": min_noise_level, "etas_end": etas_end, "power": power,
        "sqrt_eta": sqrt_eta, "eta": eta, "eta_prev": eta_prev, "alpha": alpha, "c1": c1, "c2": c2,
        "posterior_variance": var, "posterior_variance_clipped": var_clipped,
        # sigma[t] multiplies the noise of step t; at t = 0 no noise is added, so its effective value is 0
        # (the golden file stores it that way).  sigma[t>0] = sqrt(clipped variance).
        "sigma": np.concatenate([[0.0], np.sqrt(var_clipped[1:])]), "input_std": np.sqrt(kappa ** 2 * eta + 1.0),
        "prior_std": kappa * sqrt_eta[-1], "timesteps": steps,
    }
