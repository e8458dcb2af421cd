#!/usr/bin/python3
"""Whole-pipeline parity data (PyTorch, float32, noise scale 0) for the C# runtime.

  make_parity.py --id tiny-x4 --random-init --seed 1234 --widths tiny --out engines/tiny-x4/parity
  make_parity.py --id tiny-x4 --random-init --seed 1234 --widths tiny --tiled --out engines/tiny-x4/parity-tiled
  make_parity.py --id tiny-x4-one-step --random-init --seed 1234 --widths tiny --tiled --out engines/tiny-x4/parity-one-step
  make_parity.py --id resshift-realsr-x4-v3 --checkpoint A.pth --autoencoder B.pth --out DIR

Cases: a 64x64 synthetic RGB image (gradients + shapes) and a 37x50 (HxW) crop of it that is reflect-padded to
64x64 and whose output is cropped to 148x200.  Everything is written as raw little-endian binaries plus
index.json (dtype, shape, layout, description).

--tiled writes one multi-tile case instead: a 72x100 (HxW) card cut into six overlapping 64x64 tiles (stride 24,
i.e. overlap 40), each tile run through the whole sampler on its own and clamped, the overlaps averaged with equal
weights (resshift.md section 5, the reference's splitter and gather).  The tiling and blending here are written from
the spec, independently of the C# TilePlan/TileBlender they check.  Only PNGs are kept (LQ in, 8-bit out, ~250 KB):
the C# test runs `resshift restore --blend average --overlap 40` and compares the 8-bit output.
"""
import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from resshift_models.graphs import load_models  # noqa: E402
from resshift_models.sampler import reflect_pad, sample, to_uint8  # noqa: E402
from resshift_models.schedule import make_schedule  # noqa: E402


def synthetic_image(h=64, w=64):
    """Deterministic RGB uint8 test card: smooth gradients, a disc, a square, stripes, a checker corner."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255.0 * xx / (w - 1)
    g = 255.0 * yy / (h - 1)
    b = 127.5 + 127.5 * np.sin(2 * np.pi * (xx + yy) / 24.0)
    img = np.stack([r, g, b], axis=-1)
    disc = (xx - 0.62 * w) ** 2 + (yy - 0.38 * h) ** 2 < (0.18 * min(h, w)) ** 2
    img[disc] = [250, 240, 30]
    sq = (xx > 0.12 * w) & (xx < 0.38 * w) & (yy > 0.55 * h) & (yy < 0.85 * h)
    img[sq] = [20, 30, 200]
    stripes = (yy > 0.05 * h) & (yy < 0.25 * h) & (xx > 0.08 * w) & (xx < 0.45 * w) & ((xx.astype(int) // 2) % 2 == 0)
    img[stripes] = [0, 0, 0]
    chk = (xx > 0.75 * w) & (yy > 0.75 * h) & (((xx.astype(int) // 3) + (yy.astype(int) // 3)) % 2 == 0)
    img[chk] = [255, 255, 255]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def filtered_rows(rgb):
    """PNG row filtering, choosing per row the filter (0-4) whose output has the smallest sum of absolute signed
    bytes (the usual heuristic): smaller files for the same pixels."""
    h, w, c = rgb.shape
    cur_all = rgb.reshape(h, w * c).astype(np.int16)
    out = []
    prev = np.zeros(w * c, dtype=np.int16)
    for i in range(h):
        cur = cur_all[i]
        left = np.concatenate([np.zeros(c, dtype=np.int16), cur[:-c]])
        upleft = np.concatenate([np.zeros(c, dtype=np.int16), prev[:-c]])
        p = left + prev - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        candidates = [cur, cur - left, cur - prev, cur - (left + prev) // 2, cur - paeth]
        rows = [(x % 256).astype(np.uint8) for x in candidates]
        cost = [int(np.abs(r.astype(np.int8).astype(np.int16)).sum()) for r in rows]
        k = int(np.argmin(cost))
        out.append(bytes([k]) + rows[k].tobytes())
        prev = cur
    return b"".join(out)


def write_png(path, rgb, filtered=False):
    """Minimal PNG writer: 8-bit RGB, zlib level 9; filter 0 on every row, or the best filter per row."""
    h, w, _ = rgb.shape
    raw = filtered_rows(rgb) if filtered else b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def write_bin(outdir, name, arr, layout, desc):
    a = arr.detach().cpu().numpy() if torch.is_tensor(arr) else np.asarray(arr)
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
    fn = name + ".bin"
    with open(os.path.join(outdir, fn), "wb") as f:
        f.write(a.tobytes())
    return {"file": fn, "dtype": str(a.dtype).lstrip("<|"), "shape": list(a.shape), "layout": layout,
            "description": desc}


def run_case(cfg, unet, vq, lq_u8, outdir, prefix):
    h, w, _ = lq_u8.shape
    y = torch.from_numpy(lq_u8.astype(np.float32)).permute(2, 0, 1).unsqueeze(0) / 255.0 * 2.0 - 1.0
    rec = {}
    sample(unet, vq, y, cfg["schedule"], sf=cfg["scale"], pad_multiple=cfg["lq_pad_multiple"], noise_scale=0.0,
           record=rec)
    sf = cfg["scale"]
    write_png(os.path.join(outdir, prefix + "lq.png"), lq_u8)
    write_png(os.path.join(outdir, prefix + "out.png"), rec["uint8"][0].numpy())
    e = {}
    e["lq_uint8"] = write_bin(outdir, prefix + "lq_uint8", lq_u8, "HWC", "input LQ image, RGB uint8 (also lq.png)")
    e["y"] = write_bin(outdir, prefix + "y", rec["y"], "NCHW",
                       "LQ in [-1,1] (x/255*2-1), reflect-padded bottom/right to a multiple of lq_pad_multiple")
    e["y_up"] = write_bin(outdir, prefix + "y_up", rec["y_up"], "NCHW",
                          "bicubic x4 of y (torch semantics, a=-0.75, half-pixel, no antialias, not clamped)")
    e["z_y"] = write_bin(outdir, prefix + "z_y", rec["z_y"], "NCHW", "encoder(y_up); also x_T since noise scale is 0")
    steps = []
    for st in rec["steps"]:
        t = st["t"]
        steps.append({
            "t": t,
            "x_in": write_bin(outdir, f"{prefix}step{t}_x_in", st["x_in"], "NCHW", f"x / input_std[{t}] (denoiser input x)"),
            "x0": write_bin(outdir, f"{prefix}step{t}_x0", st["x0"], "NCHW", f"denoiser output at t={t}"),
            "x": write_bin(outdir, f"{prefix}step{t}_x", st["x"], "NCHW", f"c1[{t}]*x + c2[{t}]*x0 (x after step t={t})"),
        })
    e["steps"] = steps
    if tuple(rec["decoded_full"].shape) != tuple(rec["decoded"].shape):
        e["decoded_full"] = write_bin(outdir, prefix + "decoded_full", rec["decoded_full"], "NCHW",
                                      "decoder(final x), padded size, float32, before crop and clamp")
    e["decoded"] = write_bin(outdir, prefix + "decoded", rec["decoded"], "NCHW",
                             f"decoded cropped to {h * sf}x{w * sf} (HxW), before clamp")
    e["out_uint8"] = write_bin(outdir, prefix + "out_uint8", rec["uint8"][0], "HWC",
                               "round_half_even(255*(0.5*clamp(decoded,-1,1)+0.5)), RGB uint8 (also out.png)")
    d = rec["decoded"]
    stats = {"decoded_min": float(d.min()), "decoded_max": float(d.max()), "decoded_std": float(d.std()),
             "fraction_in_[-1,1]": float(((d >= -1) & (d <= 1)).float().mean())}
    return {"lq_size_hw": [h, w], "padded_size_hw": list(rec["y"].shape[2:]),
            "output_size_hw": [h * sf, w * sf], "files": e, "stats": stats}


def reference_starts(length, chop, stride):
    """Tile starts on one axis (resshift.md section 5): one tile unless the side is strictly longer than chop; else
    0, stride, 2*stride, ... with any start whose tile would run past the end moved to length - chop, duplicates
    dropped, order kept."""
    if length <= chop:
        return [0]
    starts = []
    for s in range(0, length, stride):
        s = min(s, length - chop)
        if s not in starts:
            starts.append(s)
    return starts


assert reference_starts(50, 64, 24) == [0]
assert reference_starts(64, 64, 24) == [0]
assert reference_starts(72, 64, 24) == [0, 8]
assert reference_starts(100, 64, 24) == [0, 24, 36]
assert reference_starts(120, 64, 48) == [0, 48, 56]


def run_tiled_case(cfg, unet, vq, lq_u8, chop, overlap, outdir, prefix):
    """The reference's chopped inference at noise scale 0: every tile independently through the sampler (padded
    to the model multiple, cropped back, clamped to [-1, 1]), gathered as a plain average of the tiles covering
    each output pixel, then mapped to [0, 1] and rounded to 8 bits."""
    h, w, _ = lq_u8.shape
    sf = cfg["scale"]
    stride = chop - overlap
    y = torch.from_numpy(lq_u8.astype(np.float32)).permute(2, 0, 1).unsqueeze(0) / 255.0 * 2.0 - 1.0
    total = torch.zeros(1, 3, h * sf, w * sf, dtype=torch.float64)
    count = torch.zeros(1, 1, h * sf, w * sf, dtype=torch.float64)
    rows, cols = reference_starts(h, chop, stride), reference_starts(w, chop, stride)
    tiles = []
    for r in rows:
        for c in cols:
            th, tw = min(chop, h), min(chop, w)
            tile = y[:, :, r:r + th, c:c + tw]
            out = sample(unet, vq, tile, cfg["schedule"], sf=sf, pad_multiple=cfg["lq_pad_multiple"], noise_scale=0.0)
            out = out.clamp(-1.0, 1.0).to(torch.float64)
            total[:, :, r * sf:(r + th) * sf, c * sf:(c + tw) * sf] += out
            count[:, :, r * sf:(r + th) * sf, c * sf:(c + tw) * sf] += 1
            tiles.append([r, c, th, tw])
    assert count.min() >= 1
    img = (total / count).to(torch.float32)
    u8 = to_uint8(img)[0].numpy()
    write_png(os.path.join(outdir, prefix + "lq.png"), lq_u8, filtered=True)
    write_png(os.path.join(outdir, prefix + "out.png"), u8, filtered=True)
    out01 = 0.5 * img[0].numpy() + 0.5
    return {"lq_size_hw": [h, w], "output_size_hw": [h * sf, w * sf], "chop": chop, "overlap": overlap,
            "stride": stride, "blend": "average", "row_starts": rows, "column_starts": cols,
            "tiles_yxhw": tiles, "overlapping_pixels": int((count > 1).sum()),
            "files": {"lq": prefix + "lq.png", "out": prefix + "out.png"},
            "stats": {"out_mean": float(out01.mean()), "out_std": float(out01.std()),
                      "fraction_of_levels_0_or_255": float(((u8 == 0) | (u8 == 255)).mean())}}


def card_mask(h, w):
    """Deterministic inpainting mask (1 = unknown): a rectangle, a disc and a thin diagonal scratch."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    m = (xx > 0.55 * w) & (xx < 0.8 * w) & (yy > 0.15 * h) & (yy < 0.45 * h)
    m |= (xx - 0.3 * w) ** 2 + (yy - 0.7 * h) ** 2 < (0.1 * min(h, w)) ** 2
    m |= np.abs((xx / w) - (yy / h)) < 0.012
    return m.astype(np.uint8)


def run_scale1_tiled(cfg, unet, vq, lq_u8, mask_u8, chop, overlap, outdir, prefix):
    """A scale-1 task (inpainting with a mask, face restoration without) as the runtime's contract says,
    written from resshift.md sections 3 and 5 independently of the C# code: the unknown area shown to the network
    as -1 (as the inpainting training data, lq = im*(1-m) - m), each tile reflect-padded to the model multiple
    (image and mask alike) and sampled at noise 0, cropped, clamped; overlaps averaged with equal weights; then
    known pixels pasted back from the input (the reference's mask_back: out = sr*m + lq*(1-m) in [0, 1])."""
    h, w, _ = lq_u8.shape
    stride = chop - overlap
    y = torch.from_numpy(lq_u8.astype(np.float32)).permute(2, 0, 1).unsqueeze(0) / 255.0 * 2.0 - 1.0
    m01 = None if mask_u8 is None else torch.from_numpy(mask_u8.astype(np.float32))[None, None]
    y_in = y if m01 is None else torch.where(m01 > 0, torch.full_like(y, -1.0), y)
    total = torch.zeros(1, 3, h, w, dtype=torch.float64)
    count = torch.zeros(1, 1, h, w, dtype=torch.float64)
    rows, cols = reference_starts(h, chop, stride), reference_starts(w, chop, stride)
    tiles = []
    for r in rows:
        for c in cols:
            th, tw = min(chop, h), min(chop, w)
            tile = y_in[:, :, r:r + th, c:c + tw]
            mask = None
            if m01 is not None:
                mask = reflect_pad(m01[:, :, r:r + th, c:c + tw] * 2.0 - 1.0, cfg["lq_pad_multiple"])
            out = sample(unet, vq, tile, cfg["schedule"], sf=1, pad_multiple=cfg["lq_pad_multiple"], noise_scale=0.0,
                         mask=mask)
            total[:, :, r:r + th, c:c + tw] += out.clamp(-1.0, 1.0).to(torch.float64)
            count[:, :, r:r + th, c:c + tw] += 1
            tiles.append([r, c, th, tw])
    assert count.min() >= 1
    img = (total / count).to(torch.float32) * 0.5 + 0.5
    if m01 is not None:
        img = img * m01 + (y * 0.5 + 0.5) * (1 - m01)
    u8 = torch.round(img * 255.0).to(torch.uint8)[0].permute(1, 2, 0).numpy()
    write_png(os.path.join(outdir, prefix + "lq.png"), lq_u8, filtered=True)
    files = {"lq": prefix + "lq.png", "out": prefix + "out.png"}
    if mask_u8 is not None:
        write_png(os.path.join(outdir, prefix + "lq.mask.png"), np.repeat(mask_u8[:, :, None] * 255, 3, axis=2), filtered=True)
        files["mask"] = prefix + "lq.mask.png"
    write_png(os.path.join(outdir, prefix + "out.png"), u8, filtered=True)
    known = None if mask_u8 is None else bool((u8[mask_u8 == 0] == lq_u8[mask_u8 == 0]).all())
    return {"lq_size_hw": [h, w], "output_size_hw": [h, w], "chop": chop, "overlap": overlap, "stride": stride,
            "blend": "average", "row_starts": rows, "column_starts": cols, "tiles_yxhw": tiles,
            "overlapping_pixels": int((count > 1).sum()), "files": files,
            "stats": {"out_std": float(img.std()), "known_pixels_equal_input": known,
                      "unknown_fraction": None if mask_u8 is None else float(mask_u8.mean())}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--id", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("--autoencoder")
    ap.add_argument("--random-init", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--widths", default="full", choices=["full", "tiny"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--tiled", action="store_true", help="write the multi-tile case (see above) instead")
    ap.add_argument("--chop", type=int, default=64, help="tile side in LQ pixels (the model's exported tile)")
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    cfg, unet, vq = load_models(a.id, a.widths, a.checkpoint, a.autoencoder, a.seed if a.random_init else None)
    os.makedirs(a.out, exist_ok=True)
    if cfg["scale"] == 1:
        chop = a.chop
        img = synthetic_image(chop, chop)
        if cfg["input"]["mask"]:
            wide = synthetic_image(200, 400)  # one row (200 < 256, padded), two columns overlapping by 112
            cases = {"single256": run_scale1_tiled(cfg, unet, vq, img, card_mask(chop, chop), chop, chop // 4, a.out, "a_"),
                     "tiled200x400": run_scale1_tiled(cfg, unet, vq, wide, card_mask(200, 400), chop, chop // 4, a.out, "b_")}
        else:
            cases = {"single512": run_scale1_tiled(cfg, unet, vq, img, None, chop, 0, a.out, "a_")}
        index = {"model": a.id, "noise_scale": 0.0, "precision": "float32 PyTorch eager (CPU), average in float64",
                 "cases": cases,
                 "notes": "Scale-1 contract (run_scale1_tiled): hole shown as -1, tiles padded/cropped/clamped, equal-"
                          "weight average, known pixels pasted back; out.png = round_half_even(255*result)."}
        with open(os.path.join(a.out, "index.json"), "w") as f:
            json.dump(index, f, indent=1)
            f.write("\n")
        for k, c in cases.items():
            print(k, c["row_starts"], c["column_starts"], c["stats"])
        return 0
    if cfg["task"] not in ("realsr", "bicsr"):
        raise SystemExit("parity data is implemented for the SR tasks and the scale-1 tasks")
    if a.tiled:
        chop = a.chop
        index = {
            "model": a.id, "noise_scale": 0.0, "precision": "float32 PyTorch eager (CPU), average in float64",
            "cases": {"tiled72x100": run_tiled_case(cfg, unet, vq, synthetic_image(72, 100), chop, 40, a.out, "c_")},
            "notes": "Tiling and averaging written from resshift.md section 5, independently of the C# code. "
                     "out.png = round_half_even(255*(0.5*mean_over_tiles(clamp(tile_output,-1,1))+0.5)).",
        }
        if cfg["schedule"].get("timesteps"):  # a shortened loop (SinSR): say which steps ran
            index["timesteps"] = cfg["schedule"]["timesteps"]
            index["notes"] += " Only the listed denoiser calls ran; the last one's x0 was decoded."
        with open(os.path.join(a.out, "index.json"), "w") as f:
            json.dump(index, f, indent=1)
            f.write("\n")
        for k, c in index["cases"].items():
            print(k, c["row_starts"], c["column_starts"], c["stats"])
        return 0
    img = synthetic_image(64, 64)
    s = make_schedule(**cfg["schedule"])
    index = {
        "model": a.id, "noise_scale": 0.0, "precision": "float32 PyTorch eager (CPU)",
        "byte_order": "little-endian", "value_range": "y, y_up in [-1,1]; latents unbounded",
        "schedule_float32": {k: [float(np.float32(v)) for v in s[k]] for k in ("c1", "c2", "sigma", "input_std")},
        "prior_std_float32": float(np.float32(s["prior_std"])),
        "cases": {
            "full64": run_case(cfg, unet, vq, img, a.out, "a_"),
            "crop37x50": run_case(cfg, unet, vq, np.ascontiguousarray(img[:37, :50]), a.out, "b_"),
        },
        "notes": "steps are listed in execution order t = T-1 .. 0; x after the t=0 step is the final latent. "
                 "crop37x50 is rows 0..36, columns 0..49 of the 64x64 card (H=37, W=50): padded to 64x64 "
                 "(reflect, bottom/right), output cropped to 148x200.",
    }
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    for k, c in index["cases"].items():
        print(k, c["stats"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
