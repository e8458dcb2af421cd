"""Tensors the model code builds itself follow the model's device (issue 11: the GPU baseline built its
timestep table and step indices on the CPU). The 'meta' device stands in for a GPU: any CPU tensor mixed
into a meta computation raises, so these fail exactly where a CUDA run would."""
import torch

from resshift_models.unet import timestep_features
from resshift_models import sampler as sampler_module


def test_timestep_features_follow_the_timestep_device():
    t = torch.tensor([0, 3], dtype=torch.int64, device="meta")
    emb = timestep_features(t, 33)
    assert emb.device.type == "meta"
    assert tuple(emb.shape) == (2, 33)
    cpu = timestep_features(torch.tensor([0, 3]), 32)
    assert cpu.device.type == "cpu" and float(cpu[0, 0]) == 1.0  # cos(0)


class _RecordingUnet(torch.nn.Module):
    """Stands in for the denoiser: records the device of every timestep tensor it is given."""

    def __init__(self):
        super().__init__()
        self.devices = []

    def forward(self, x, t, lq):
        self.devices.append(t.device.type)
        return x * 0.5


class _IdentityVq(torch.nn.Module):
    def encode(self, y):
        return y[:, :, ::4, ::4].contiguous()

    def decode(self, z):
        return torch.nn.functional.interpolate(z, scale_factor=4, mode="nearest")


def test_sample_builds_step_indices_and_noise_on_the_input_device():
    unet = _RecordingUnet()
    y = torch.zeros(2, 3, 64, 64, device="meta")
    sched = dict(T=4, kappa=2.0, min_noise_level=0.04, etas_end=0.99, power=0.3)
    gen = torch.Generator().manual_seed(1)  # a CPU generator: noise is drawn there and moved
    out = sampler_module.sample(unet, _IdentityVq(), y, sched, sf=4, pad_multiple=64, noise_scale=1.0, generator=gen)
    assert unet.devices == ["meta"] * 4
    assert out.device.type == "meta"
