"""Command line of the shared UI library (for make targets).

``python -m shared install-fonts ASSETS_DIR [ASSETS_DIR...]`` copies the CJK font into each app's
assets folder (see :mod:`shared.fonts`); exit status 1 if no font is available.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.fonts import install_cjk_font

USAGE = "usage: python -m shared install-fonts ASSETS_DIR [ASSETS_DIR...]\n"


def main(argv: list[str]) -> int:
    """Run the command in ``argv`` (without the program name); return the exit status."""
    if len(argv) < 2 or argv[0] != "install-fonts":
        sys.stderr.write(USAGE)
        return 2
    status = 0
    for arg in argv[1:]:
        setup = install_cjk_font(Path(arg))
        if setup.file is None:
            sys.stderr.write(f"{arg}: no CJK font available (install fonts-droid-fallback)\n")
            status = 1
        else:
            sys.stdout.write(f"{setup.file}\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
