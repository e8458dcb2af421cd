"""Hyperparameters of each released ResShift model, keyed by our model ids.

Values transcribed from the reference configs (configs/*.yaml) and inference_resshift.py (release URLs).
"""
import copy

RELEASE = "https://github.com/zsyOAOA/ResShift/releases/download/v2.0/"
# SinSR (Wang et al., CVPR 2024): one-step distillations of realsr v1 on the same network; GitHub release v1.0.
SINSR_RELEASE = "https://github.com/wyf0912/SinSR/releases/download/v1.0/"

UNET_BASE = dict(image_size=64, in_channels=3, model_channels=160, out_channels=3, num_res_blocks=2,
                 attention_resolutions=[64, 32, 16, 8], channel_mult=[1, 2, 2, 4], num_head_channels=32,
                 use_scale_shift_norm=True, swin_depth=2, swin_embed_dim=192, window_size=8, mlp_ratio=4,
                 cond_lq=True, cond_mask=False, lq_size=64)

VQ_F4 = dict(embed_dim=3, n_embed=8192, ch=128, ch_mult=[1, 2, 4], num_res_blocks=2, in_channels=3, out_ch=3,
             z_channels=3)
VQ_F8_FACE = dict(embed_dim=8, n_embed=4096, ch=64, ch_mult=[1, 2, 4, 8], num_res_blocks=[1, 2, 3, 4],
                  in_channels=3, out_ch=3, z_channels=8)

SCHED_T4 = dict(T=4, kappa=2.0, min_noise_level=0.2, etas_end=0.99, power=0.3)
SCHED_T15 = dict(T=15, kappa=2.0, min_noise_level=0.04, etas_end=0.99, power=0.3)
# SinSR's sampler (models/gaussian_diffusion.py, p_sample_loop_progressive with one_step): the first step of the
# 15-step loop, t = 14, whose pred_xstart is decoded. "timesteps" lists the denoiser calls; the last one's x0 is
# the result (for a full loop that is t = 0, where x = x0 anyway). Absent = T-1..0.
SCHED_T15_ONE_STEP = dict(SCHED_T15, timesteps=[14])

NTU = {"id": "NTU-S-Lab-1.0", "name": "NTU S-Lab License 1.0", "commercial_use": False,
       "url": "https://github.com/zsyOAOA/ResShift/blob/master/LICENSE"}
CC_BY_NC_SA = {"id": "CC-BY-NC-SA-4.0", "name": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
               "commercial_use": False, "url": "https://github.com/wyf0912/SinSR/blob/main/LICENSE"}
MIT = {"id": "MIT", "name": "MIT License", "commercial_use": True, "url": "https://opensource.org/licenses/MIT"}


# The job contract of each task, as data for the runtime (model.json "input"): whether the denoiser takes a mask
# (1 = unknown area; known pixels are pasted back from the input after decoding, as the reference's mask_back),
# and whether inputs must be exactly one size (faceir: aligned 512x512 face crops, as the reference was trained on
# FFHQ-aligned crops; it does no detection or alignment itself).
INPUT = {
    "realsr": dict(mask=False, exact_size=None, accepts="any RGB image; output is 4x larger"),
    "bicsr": dict(mask=False, exact_size=None, accepts="any RGB image (bicubic-degraded); output is 4x larger"),
    "inpaint": dict(mask=True, exact_size=None,
                    accepts="an RGB image and a binary mask of the same size (white/1 = area to fill); "
                            "output is the same size, pixels outside the mask are the input's"),
    "faceir": dict(mask=False, exact_size=512,
                   accepts="an aligned face crop of exactly 512x512 pixels (FFHQ alignment, as GFPGAN/CodeFormer "
                           "produce); output is the same size. Face detection and paste-back are not done"),
}


def _m(name, task, scale, unet, vq, sched, pad, ckpt, ae, ref_config):
    return dict(name=name, task=task, scale=scale, unet=unet, vq=vq, schedule=sched, lq_pad_multiple=pad,
                checkpoint=ckpt, autoencoder=ae, ref_config=ref_config, licence=NTU, input=INPUT[task])


MODELS = {
    "resshift-realsr-x4-v3": _m("ResShift real-world SR x4 (v3, 4 steps)", "realsr", 4, UNET_BASE, VQ_F4,
                                SCHED_T4, 64, "resshift_realsrx4_s4_v3.pth", "autoencoder_vq_f4.pth",
                                "configs/realsr_swinunet_realesrgan256_journal.yaml"),
    "resshift-realsr-x4-v2": _m("ResShift real-world SR x4 (v2, 15 steps)", "realsr", 4, UNET_BASE, VQ_F4,
                                SCHED_T15, 64, "resshift_realsrx4_s15_v2.pth", "autoencoder_vq_f4.pth",
                                "configs/realsr_swinunet_realesrgan256.yaml"),
    "resshift-realsr-x4-v1": _m("ResShift real-world SR x4 (v1, 15 steps)", "realsr", 4, UNET_BASE, VQ_F4,
                                SCHED_T15, 64, "resshift_realsrx4_s15_v1.pth", "autoencoder_vq_f4.pth",
                                "configs/realsr_swinunet_realesrgan256.yaml"),
    "resshift-bicsr-x4": _m("ResShift bicubic SR x4 (4 steps)", "bicsr", 4, UNET_BASE, VQ_F4, SCHED_T4, 64,
                            "resshift_bicsrx4_s4.pth", "autoencoder_vq_f4.pth", "configs/bicx4_swinunet_lpips.yaml"),
    "resshift-inpaint-imagenet": _m("ResShift inpainting ImageNet (4 steps)", "inpaint", 1,
                                    dict(UNET_BASE, cond_mask=True, lq_size=256), VQ_F4, SCHED_T4, 256,
                                    "resshift_inpainting_imagenet_s4.pth", "autoencoder_vq_f4.pth",
                                    "configs/inpaint_lama256_imagenet.yaml"),
    "resshift-inpaint-face": _m("ResShift inpainting faces (4 steps)", "inpaint", 1,
                                dict(UNET_BASE, cond_mask=True, lq_size=256), VQ_F4, SCHED_T4, 256,
                                "resshift_inpainting_face_s4.pth", "celeba256_vq_f4_dim3_face.pth",
                                "configs/inpaint_lama256_face.yaml"),
    "resshift-faceir": _m("ResShift blind face restoration (4 steps)", "faceir", 1,
                          dict(UNET_BASE, in_channels=8, out_channels=8, lq_size=512), VQ_F8_FACE, SCHED_T4, 512,
                          "resshift_faceir_s4.pth", "ffhq512_vq_f8_dim8_face.pth",
                          "configs/faceir_gfpgan512_lpips.yaml"),
}

# SinSR: ResShift's UNetModelSwin with the realsr v1 settings. Its config writes `in_channels: 6` (latent 3 + LQ 3,
# concatenated inside the class); ours writes the latent's 3 and adds the LQ's 3 (same first conv, 6 -> 160).
# The VQ-f4 autoencoder is ResShift's (its own release, NTU S-Lab licence); the denoiser weights are SinSR's.
SINSR_UNET = dict(UNET_BASE, ref_in_channels=6)
for _v in ("v1", "v2"):
    MODELS[f"sinsr-realsr-x4-{_v}"] = dict(
        _m(f"SinSR real-world SR x4 ({_v}, 1 step)", "realsr", 4, SINSR_UNET, VQ_F4, SCHED_T15_ONE_STEP, 64,
           f"SinSR_{_v}.pth", "autoencoder_vq_f4.pth", "configs/SinSR.yaml (github.com/wyf0912/SinSR)"),
        licence=CC_BY_NC_SA, checkpoint_release=SINSR_RELEASE)

# Tiny widths: same topology (4 levels, 2 res blocks, Swin stage after the first res block of every level and
# in the middle, window 8 / shift 4, 2 heads, VQ with 3 levels, mid attention), much narrower: UNet and Swin
# width 16, VQ width 24, GroupNorm with 8 groups, so that the three graphs together stay well under 5 MB.
TINY_UNET = dict(model_channels=16, channel_mult=[1, 1, 1, 1], swin_embed_dim=16, num_head_channels=8,
                 mlp_ratio=4, norm_groups=8)
TINY_VQ = dict(ch=24, ch_mult=[1, 1, 1], n_embed=512, norm_groups=8)
TINY_VQ_F8 = dict(ch=24, ch_mult=[1, 1, 1, 1], n_embed=512, norm_groups=8)

MODELS["tiny-x4"] = dict(name="Tiny ResShift x4 (random weights, contract tests)", task="realsr", scale=4,
                         unet=dict(UNET_BASE, **TINY_UNET), vq=dict(VQ_F4, **TINY_VQ), schedule=SCHED_T4,
                         lq_pad_multiple=64, checkpoint=None, autoencoder=None, ref_config=None, licence=MIT,
                         input=INPUT["realsr"])

# Test models for the task shapes that differ from tiny-x4 (random weights, MIT): inpainting (mask input, LQ
# stem, scale 1) and blind face restoration (face VQ-f8, 8-channel latent, scale 1). Tiles are the smallest
# whose latent is a multiple of 64: 256 (f4) and 512 (f8).
MODELS["tiny-inpaint"] = dict(MODELS["resshift-inpaint-imagenet"], name="Tiny ResShift inpainting (random weights, contract tests)",
                              unet=dict(MODELS["resshift-inpaint-imagenet"]["unet"], **TINY_UNET),
                              vq=dict(VQ_F4, **TINY_VQ), checkpoint=None, autoencoder=None, ref_config=None,
                              licence=MIT)
MODELS["tiny-face"] = dict(MODELS["resshift-faceir"], name="Tiny ResShift face restoration (random weights, contract tests)",
                           unet=dict(MODELS["resshift-faceir"]["unet"], **TINY_UNET),
                           vq=dict(VQ_F8_FACE, **TINY_VQ_F8), checkpoint=None, autoencoder=None, ref_config=None,
                           licence=MIT, latent_input_gain=0.1)
# tiny-x4's weights under the 15-step schedule (v1/v2's): parity data only (engines/tiny-x4/parity-s15), to show a
# 15-step model runs through the same code with its schedule taken from the manifest.
MODELS["tiny-x4-s15"] = dict(MODELS["tiny-x4"], name="Tiny ResShift x4, 15-step schedule (parity only)", schedule=SCHED_T15)
# tiny-x4's weights under SinSR's one-step sampling (t = 14 of the 15-step schedule, x0 decoded): parity only
# (engines/tiny-x4/parity-one-step), for the C# one-step path.
MODELS["tiny-x4-one-step"] = dict(MODELS["tiny-x4"], name="Tiny x4, one step at t = 14 of 15 (parity only)",
                                  schedule=SCHED_T15_ONE_STEP)
TEST_MODELS = ("tiny-x4", "tiny-inpaint", "tiny-face", "tiny-x4-s15", "tiny-x4-one-step")

# Default LQ tile of each released model for export (latent side = tile*scale/factor, a multiple of 64).
DEFAULT_TILE = {"realsr": 64, "bicsr": 64, "inpaint": 256, "faceir": 512}

TASK_DEFAULT_ID = {"realsr": "resshift-realsr-x4-v3", "bicsr": "resshift-bicsr-x4",
                   "inpaint": "resshift-inpaint-imagenet", "faceir": "resshift-faceir"}


def get(model_id, widths="full"):
    cfg = copy.deepcopy(MODELS[model_id])
    if widths == "tiny" and model_id not in TEST_MODELS:
        cfg["unet"].update(TINY_UNET)
        cfg["vq"].update(TINY_VQ_F8 if cfg["vq"]["ch_mult"] == [1, 2, 4, 8] else TINY_VQ)
    return cfg


def latent_factor(vq_cfg):
    return 2 ** (len(vq_cfg["ch_mult"]) - 1)


def url(filename, release=RELEASE):
    return release + filename if filename else None


def source_urls(cfg):
    """(denoiser URL, autoencoder URL): SinSR's denoisers come from its own release, the VQ from ResShift's."""
    return url(cfg["checkpoint"], cfg.get("checkpoint_release", RELEASE)), url(cfg["autoencoder"])


def timesteps(schedule):
    """The denoiser calls of a schedule, in order (default: the whole loop T-1..0)."""
    return list(schedule.get("timesteps") or range(schedule["T"] - 1, -1, -1))
