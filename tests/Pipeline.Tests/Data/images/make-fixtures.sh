#!/bin/sh
# Regenerates the committed test images. Needs: python3, libvips-tools (vips), mate-backgrounds,
# libimage-exiftool-perl (exiftool), and the ICC profiles from ghostscript (/usr/share/color/icc/ghostscript).
set -eu
cd "$(dirname "$0")"
src=/usr/share/backgrounds/mate/nature
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 make_png.py

# Photo crops (96×80) from Debian's mate-backgrounds.
vips crop "$src/Garden.jpg"   photo-garden.jpg[Q=92]   700 500 96 80
vips crop "$src/LadyBird.jpg" photo-ladybird.jpg[Q=92] 900 600 96 80
vips crop "$src/Aqua.jpg"     photo-aqua.png           600 400 96 80

# JPEG stored sideways (EXIF Orientation 6 = display rotated 90° clockwise) with an ICC profile: a pure red
# 16×16 block sits at the stored top-left, so upright it must be at the top-right.
vips crop "$src/TwoWings.jpg" "$tmp/base.v" 500 300 96 80
vips black "$tmp/black.v" 16 16 --bands 3
vips linear "$tmp/black.v" "$tmp/red.v" "1 1 1" "255 0 0" --uchar
vips insert "$tmp/base.v" "$tmp/red.v" "$tmp/marked.v" 0 0
vips jpegsave "$tmp/marked.v" orient6-icc.jpg --Q 95 --profile /usr/share/color/icc/ghostscript/a98.icc
exiftool -q -overwrite_original -Orientation#=6 -Artist="ResShift fixture" orient6-icc.jpg

# 16-bit TIFF (deflate) with the same samples as the 16-bit PNG.
vips copy rgb16-gradient.png rgb16-gradient.tif[compression=deflate]
