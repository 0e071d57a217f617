#!/usr/bin/env bash
# Rebuild assets/fonts/NotoSansCJKsc-Regular-subset.otf, the font embedded in
# the binary for chart text, from Debian's fonts-noto-cjk package, and
# tests/data/gb2312-hanzi.txt, the hanzi that the font must cover.
#
# Needs: Debian or Ubuntu with apt-get and dpkg, python3, and fonttools
# (`pip install fonttools==4.68.0`). Run from any directory; the output path
# defaults to the committed file.
#
# The subset keeps Basic Latin, Latin-1 Supplement, General Punctuation,
# Arrows, Mathematical Operators, CJK Symbols and Punctuation, Halfwidth and
# Fullwidth Forms, and every character of GB 2312 (the 6,763 hanzi plus its
# symbols, pinyin, Greek, Cyrillic and kana rows). Layout tables (GSUB,
# GPOS), vertical metrics and CFF hints are dropped because the chart
# renderer places glyphs by their advance widths and rasterizes without hinting.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
output="${1:-$repo_root/assets/fonts/NotoSansCJKsc-Regular-subset.otf}"
hanzi_list="$repo_root/tests/data/gb2312-hanzi.txt"
package_version="1:20220127+repack1-1"
# Index of "Noto Sans CJK SC" inside NotoSansCJK-Regular.ttc (JP, KR, SC, TC, HK, then Mono).
font_number=2

if ! python3 -c 'import fontTools.subset' 2>/dev/null; then
    echo "error: fonttools is missing. Install it with: pip install fonttools==4.68.0" >&2
    exit 1
fi

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
cd "$work_dir"

# apt-get download fails unless the package lists were fetched (apt-get update).
apt-get download "fonts-noto-cjk=$package_version"
dpkg -x fonts-noto-cjk_*.deb extracted
collection="extracted/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

python3 - "$collection" "$font_number" <<'PY'
import sys
from fontTools.ttLib import TTFont

name = TTFont(sys.argv[1], fontNumber=int(sys.argv[2]))["name"].getDebugName(4)
if name != "Noto Sans CJK SC":
    sys.exit(f"error: font {sys.argv[2]} of {sys.argv[1]} is {name!r}, expected 'Noto Sans CJK SC'")
PY

# Every character that GB 2312 encodes: rows 0xA1-0xF7, cells 0xA1-0xFE.
# Rows 0xB0-0xF7 are the hanzi. The hanzi list, 94 to a line, is the test
# data that checks the embedded font covers them all.
python3 - gb2312.txt "$hanzi_list" <<'PY'
import sys

code_points, hanzi = [], []
for row in range(0xA1, 0xF8):
    for cell in range(0xA1, 0xFF):
        try:
            char = bytes([row, cell]).decode("gb2312")
        except UnicodeDecodeError:
            continue
        code_points.append(f"U+{ord(char):04X}\n")
        if row >= 0xB0:
            hanzi.append(char)
if len(hanzi) != 6763:
    sys.exit(f"error: decoded {len(hanzi)} GB 2312 hanzi, expected 6763")
with open(sys.argv[1], "w", encoding="ascii") as out:
    out.writelines(code_points)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for start in range(0, len(hanzi), 94):
        out.write("".join(hanzi[start:start + 94]) + "\n")
PY

pyftsubset "$collection" \
    --font-number="$font_number" \
    --unicodes="U+0020-007E,U+00A0-00FF,U+2000-206F,U+2190-21FF,U+2200-22FF,U+3000-303F,U+FF00-FFEF" \
    --unicodes-file=gb2312.txt \
    --layout-features='' \
    --drop-tables+=GSUB,GPOS,GDEF,BASE,vhea,vmtx,VORG \
    --no-hinting \
    --name-IDs='*' \
    --output-file="$output"

ls -l "$output"
sha256sum "$output"
