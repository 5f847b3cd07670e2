"""Subset Noto Sans CJK SC to GB2312 + Latin + punctuation for content/fonts.

Dev tool, needs fontTools (``pip install fonttools``) and the Debian package
``fonts-noto-cjk`` (``/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc``).

    python -m signage.tools.subset_font [--out content/fonts]
"""

from __future__ import annotations

import argparse
from pathlib import Path


SOURCES = {
    "NotoSansSC-Regular-GB2312.otf": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "NotoSansSC-Bold-GB2312.otf": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}
# Index of the Simplified Chinese face inside the Noto CJK collections.
SC_FAMILY = "Noto Sans CJK SC"


def gb2312_chars() -> set[int]:
    """Return every code point encodable in GB2312 plus Latin and common punctuation."""
    cps: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    cps |= set(range(0x2000, 0x2070))  # general punctuation: – — ‘ ’ “ ” … ‰
    cps |= set(range(0x2190, 0x21A0))  # arrows: ← → ↑ ↓
    cps |= set(range(0x3000, 0x3040))  # CJK symbols and punctuation
    cps |= set(range(0xFF00, 0xFFF0))  # full-width forms
    cps |= {0x00B7, 0x2022, 0x25CF, 0x25CB, 0x2713, 0x2116, 0x2103, 0x00B0}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            cps.add(ord(ch))
    return cps


def sc_index(path: str) -> int:
    """Return the index of the SC face in a Noto CJK collection."""
    from fontTools.ttLib import TTCollection

    coll = TTCollection(path, lazy=True)
    for i, font in enumerate(coll.fonts):
        if font["name"].getDebugName(1) == SC_FAMILY:
            return i
    raise SystemExit(f"{path}: no face named {SC_FAMILY!r}")


def main(argv: list[str] | None = None) -> int:
    """Write the subset fonts."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "content" / "fonts"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cps = gb2312_chars()
    for name, src in SOURCES.items():
        font = TTFont(src, fontNumber=sc_index(src))
        options = subset.Options()
        options.layout_features = ["kern", "liga", "locl", "palt", "vert"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.hinting = False
        options.desubroutinize = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=cps)
        subsetter.subset(font)
        font.save(out / name)
        print(f"{out / name}: {(out / name).stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
