#!/usr/bin/env bash
# make_models.sh MODEL_ID [--weights DIR] [--out DIR] [--tile N] [-- extra export.py args]
#
# Produces engines/<MODEL_ID>/ (encoder.onnx, denoiser.onnx, decoder.onnx, model.json, verify/) from the official
# ResShift checkpoints.  Checkpoints are looked up in --weights DIR (or $RESSHIFT_WEIGHTS), else downloaded from
# the GitHub release into engines/.weights/ (short connect timeout; fails fast and clearly when offline).
# When engines/<MODEL_ID>/model.json records a sha256 for a source, the file must match it; otherwise the hash is
# printed so it can be recorded.
# SinSR's denoisers (sinsr-realsr-x4-v1/-v2) come from SinSR's release, their autoencoder from ResShift's.
# Env: RESSHIFT_RELEASE_BASE (default https://github.com/zsyOAOA/ResShift/releases/download/v2.0/),
#      SINSR_RELEASE_BASE (default https://github.com/wyf0912/SinSR/releases/download/v1.0/),
#      PYTHON (default /usr/bin/python3), CONNECT_TIMEOUT (default 5 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=${PYTHON:-/usr/bin/python3}
BASE=${RESSHIFT_RELEASE_BASE:-https://github.com/zsyOAOA/ResShift/releases/download/v2.0/}
SINSR_BASE=${SINSR_RELEASE_BASE:-https://github.com/wyf0912/SinSR/releases/download/v1.0/}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-5}

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0;; esac
id="$1"; shift
weights="${RESSHIFT_WEIGHTS:-}"
out=""
tile=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --weights) weights="$2"; shift 2;;
    --out) out="$2"; shift 2;;
    --tile) tile="$2"; shift 2;;
    --) shift; extra=("$@"); break;;
    *) echo "make_models.sh: unknown argument $1" >&2; exit 2;;
  esac
done

# BIRD (engines/bird/): one UNet checkpoint, published only as a Google Drive page (no direct download URL), so
# it is never fetched: it must be in --weights DIR, $RESSHIFT_WEIGHTS or engines/.weights/, else a clear error.
case "$id" in
  bird-celeba-256)
    file=celeba_hq.ckpt; page=https://drive.google.com/file/d/1qMs7tNGV3tkOZNKH5L130dkwsmobEJdh/view
    ckpt_path=""
    for d in "$weights" "$here/.weights"; do
      if [ -n "$d" ] && [ -f "$d/$file" ]; then ckpt_path="$d/$file"; break; fi
    done
    if [ -z "$ckpt_path" ]; then
      cat >&2 <<EOF
make_models.sh: the $id checkpoint ($file) is not on this machine and is not downloaded automatically.
  Download it on a connected machine from $page
  put it in a folder and run   engines/make_models.sh $id --weights /path/to/folder
  (or set RESSHIFT_WEIGHTS=/path/to/folder for 'make models').
EOF
      exit 3
    fi
    bird_manifest="${RESSHIFT_MANIFEST:-$here/$id/model.json}"
    want=""
    if [ -f "$bird_manifest" ]; then
      want="$("$PY" -c 'import json,sys; print(next((s.get("sha256") or "" for s in json.load(open(sys.argv[1])).get("sources") or [] if s.get("role")=="unet"), ""))' "$bird_manifest")"
    fi
    got="$(sha256sum "$ckpt_path" | cut -d' ' -f1)"
    if [ -n "$want" ] && [ "$want" != "$got" ]; then
      echo "make_models.sh: sha256 mismatch for $ckpt_path: got $got, manifest records $want" >&2; exit 4
    fi
    [ -n "$want" ] || echo "sha256 (not yet recorded in $bird_manifest, record it): unet $file $got" >&2
    exec "$PY" "$here/bird/export.py" --checkpoint "$ckpt_path" --id "$id" --out "${out:-$here/$id}" ${extra[@]+"${extra[@]}"}
    ;;
esac

# id -> task, denoiser file, autoencoder file, default LQ tile (and the denoiser's release when not ResShift's)
ckpt_base="$BASE"
case "$id" in
  resshift-realsr-x4-v3) task=realsr; ckpt=resshift_realsrx4_s4_v3.pth; ae=autoencoder_vq_f4.pth; dtile=64;;
  resshift-realsr-x4-v2) task=realsr; ckpt=resshift_realsrx4_s15_v2.pth; ae=autoencoder_vq_f4.pth; dtile=64;;
  resshift-realsr-x4-v1) task=realsr; ckpt=resshift_realsrx4_s15_v1.pth; ae=autoencoder_vq_f4.pth; dtile=64;;
  resshift-bicsr-x4) task=bicsr; ckpt=resshift_bicsrx4_s4.pth; ae=autoencoder_vq_f4.pth; dtile=64;;
  resshift-inpaint-imagenet) task=inpaint; ckpt=resshift_inpainting_imagenet_s4.pth; ae=autoencoder_vq_f4.pth; dtile=256;;
  resshift-inpaint-face) task=inpaint; ckpt=resshift_inpainting_face_s4.pth; ae=celeba256_vq_f4_dim3_face.pth; dtile=256;;
  resshift-faceir) task=faceir; ckpt=resshift_faceir_s4.pth; ae=ffhq512_vq_f8_dim8_face.pth; dtile=512;;
  sinsr-realsr-x4-v1) task=realsr; ckpt=SinSR_v1.pth; ae=autoencoder_vq_f4.pth; dtile=64; ckpt_base="$SINSR_BASE";;
  sinsr-realsr-x4-v2) task=realsr; ckpt=SinSR_v2.pth; ae=autoencoder_vq_f4.pth; dtile=64; ckpt_base="$SINSR_BASE";;
  tiny-x4) echo "tiny-x4 has no checkpoints: run engines/tiny-x4/regenerate.sh" >&2; exit 2;;
  *) echo "make_models.sh: unknown model id '$id'" >&2; exit 2;;
esac
tile=${tile:-$dtile}
out=${out:-$here/$id}
manifest="${RESSHIFT_MANIFEST:-$here/$id/model.json}"

recorded_sha() {  # role -> sha256 recorded in the committed manifest (empty if none)
  [ -f "$manifest" ] || return 0
  "$PY" - "$manifest" "$1" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for s in m.get("sources") or []:
    if s.get("role") == sys.argv[2] and s.get("sha256"):
        print(s["sha256"])
EOF
}

fetch() {  # role file base -> prints local path
  local role="$1" file="$2" url="${3}${2}"
  if [ -n "$weights" ] && [ -f "$weights/$file" ]; then echo "$weights/$file"; return 0; fi
  local dir="$here/.weights"
  if [ -f "$dir/$file" ]; then echo "$dir/$file"; return 0; fi
  mkdir -p "$dir"
  echo "downloading $url" >&2
  if ! curl -fsSL --connect-timeout "$CONNECT_TIMEOUT" --retry 0 -o "$dir/$file.part" "$url" >&2; then
    rm -f "$dir/$file.part"
    cat >&2 <<EOF
make_models.sh: cannot download the $role checkpoint for $id
  URL: $url
  This machine may have no internet access.  Manual alternative: download
    ${ckpt_base}${ckpt}
    ${BASE}${ae}
  on a connected machine, put both .pth files in one folder and run
    engines/make_models.sh $id --weights /path/to/folder
  (or set RESSHIFT_WEIGHTS=/path/to/folder for 'make models').
EOF
    return 1
  fi
  mv "$dir/$file.part" "$dir/$file"
  echo "$dir/$file"
}

check_sha() {  # role path
  local want got
  want="$(recorded_sha "$1")"
  got="$(sha256sum "$2" | cut -d' ' -f1)"
  if [ -n "$want" ]; then
    if [ "$want" != "$got" ]; then
      echo "make_models.sh: sha256 mismatch for $2: got $got, manifest records $want" >&2
      return 1
    fi
    echo "sha256 ok  $1 $(basename "$2") $got" >&2
  else
    echo "sha256 (not yet recorded in $manifest, record it): $1 $(basename "$2") $got" >&2
  fi
}

ckpt_path="$(fetch denoiser "$ckpt" "$ckpt_base")" || exit 3
ae_path="$(fetch autoencoder "$ae" "$BASE")" || exit 3
check_sha denoiser "$ckpt_path" || exit 4
check_sha autoencoder "$ae_path" || exit 4

"$PY" "$here/export.py" --checkpoint "$ckpt_path" --autoencoder "$ae_path" --task "$task" --id "$id" \
  --tile "$tile" --out "$out" ${extra[@]+"${extra[@]}"}
