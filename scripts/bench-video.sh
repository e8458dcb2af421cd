#!/usr/bin/env bash
# The video path's cost vs the same frames restored as images (docs/PERFORMANCE.md, issue 14).
# usage: [RESSHIFT_MODELS_DIR=DIR] scripts/bench-video.sh [MODEL=tiny-x4] [FRAMES=12] [SIZE=96x72] [PAIRS=3] [THREADS=2]
# Makes a testsrc2 clip (x264) and the same frames as PNGs (decoded with the same BT.601 limited-range
# conversion the video path uses), then runs `resshift restore` on the clip and on the PNG folder alternately
# (A B A B ...: a shared, loaded machine drifts, interleaving spreads the drift over both), each under
# /usr/bin/time: wall, CPU (user+sys, ffmpeg/ffprobe children included: they are waited for) and peak RSS.
# While the video runs, the spool (.clip.mkv.resshift-segments beside the output) is sampled every 50 ms for
# its peak size. Prints one line per run and the medians, min-max and video/images ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-tiny-x4}; frames=${2:-12}; size=${3:-96x72}; pairs=${4:-3}; threads=${5:-2}
models_dir=${RESSHIFT_MODELS_DIR:-engines}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
exe=src/Daemon/bin/Release/net10.0/resshift
[ -x "$exe" ] || make build

ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=$size:r=25" -frames:v "$frames" -c:v libx264 -pix_fmt yuv420p "$work/clip.mkv"
mkdir -p "$work/frames"
ffmpeg -nostdin -v error -y -i "$work/clip.mkv" -vf "scale=in_color_matrix=bt601:in_range=tv,format=rgb24" "$work/frames/f%03d.png"

common=(--model "$model" --models-dir "$models_dir" --engine cpu --threads "$threads" --batch 4)
run() { # kind -> "wall cpu rss_kib peak_spool_bytes"
  local kind=$1 out="$work/out-$1" spool=0 peak=0
  rm -rf "$out"; mkdir -p "$out"
  if [ "$kind" = video ]; then
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$exe" restore "$work/clip.mkv" -o "$out/clip.mkv" "${common[@]}" >/dev/null 2>"$work/err" &
    local pid=$!
    while kill -0 $pid 2>/dev/null; do
      spool=$(du -sb "$out/.clip.mkv.resshift-segments" 2>/dev/null | cut -f1 || echo 0)
      [ "${spool:-0}" -gt "$peak" ] && peak=$spool
      sleep 0.05
    done
    wait $pid || { cat "$work/err" >&2; exit 1; }
  else
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$exe" restore "$work/frames" -o "$out" "${common[@]}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  fi
  read -r wall user sys rss < <(tail -1 "$work/time")
  echo "$wall $(python3 -c "print(round($user+$sys,2))") $rss $peak"
}

# Tiles per frame as the pipeline cuts them (src/Pipeline/Tiling/TilePlan.cs: 64 px LQ tiles, overlap 16; an axis
# no longer than a tile is one tile).
tiles=$(python3 - "$size" <<'PY'
import sys
def starts(n, chop=64, stride=48):
    if n <= chop: return 1
    s = set()
    for x in range(0, n, stride): s.add(n - chop if x + chop > n else x)
    return len(s)
w, h = map(int, sys.argv[1].split("x")); print(starts(w) * starts(h))
PY
)
echo "model $model, $frames frames $size ($tiles tiles/frame), $pairs pairs, threads $threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$work/results"
for i in $(seq 1 "$pairs"); do
  for kind in video images; do
    r=$(run $kind); echo "$kind $r" >> "$work/results"
    echo "run $i $kind: wall ${r%% *} s, $(cut -d' ' -f2 <<<"$r") CPU-s, peak RSS $(( $(cut -d' ' -f3 <<<"$r") / 1024 )) MiB$( [ $kind = video ] && echo ", peak spool $(cut -d' ' -f4 <<<"$r") B"), load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
python3 - "$work/results" "$frames" "$tiles" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
frames, tiles = int(sys.argv[2]), int(sys.argv[3])
def col(kind, i): return [float(r[i]) for r in rows if r[0] == kind]
for name, i in (("wall s", 1), ("CPU s", 2)):
    v, im = col("video", i), col("images", i)
    ratios = [a / b for a, b in zip(v, im)]
    print(f"{name:7} video median {st.median(v):.2f} ({min(v):.2f}-{max(v):.2f}), images median {st.median(im):.2f} ({min(im):.2f}-{max(im):.2f}); "
          f"video/images per pair {', '.join(f'{r:.3f}' for r in ratios)}, median {st.median(ratios):.3f}")
w = st.median(col("video", 1))
print(f"video: {frames / w:.3f} frames/s, {frames * tiles / w:.3f} tiles/s (median wall, process start and model load included)")
print(f"peak RSS video {max(col('video', 3)) / 1024:.0f} MiB, images {max(col('images', 3)) / 1024:.0f} MiB; peak spool {max(col('video', 4)) / 1024:.1f} KiB")
PY
