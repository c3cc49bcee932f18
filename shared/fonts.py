"""Ship a CJK font with each app so Chinese renders in offline web mode.

Why: Flet's web client bundles only Roboto and Material Icons and fetches missing glyph fonts from
Google's CDN, which is unreachable offline, so Chinese would show as empty boxes. Debian's
``fonts-droid-fallback`` provides one TrueType file covering CJK and Latin (Apache-2.0, 4 MB).
It is too big to commit, so each app copies it into its ``assets/fonts`` folder at start-up (and
``make`` does the same through ``python -m shared install-fonts <assets_dir>``); the theme
registers it and falls back to Roboto when it is absent.

The source can be overridden with ``CHARGEPILE_CJK_FONT=/path/to/font.ttf``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CJK_FONT_ASSET",
    "CJK_FONT_FAMILY",
    "SYSTEM_CJK_FONT",
    "FontSetup",
    "find_cjk_font_source",
    "install_cjk_font",
]

CJK_FONT_FAMILY = "DroidSansFallback"
"""Family name the theme uses for the shipped font."""

CJK_FONT_ASSET = "fonts/DroidSansFallbackFull.ttf"
"""Where the font lives relative to an app's assets folder (what ``page.fonts`` points at)."""

SYSTEM_CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
"""Where Debian's ``fonts-droid-fallback`` installs the font."""


@dataclass(frozen=True, slots=True)
class FontSetup:
    """The fonts one app serves: ``fonts`` goes to ``page.fonts``, ``family`` to the theme.

    ``family`` is ``None`` when no CJK font is available: Flutter then uses its bundled Roboto
    (Latin text fine, Chinese as boxes), so the app still works, just not in Chinese.
    """

    family: str | None = None
    fonts: dict[str, str] = field(default_factory=dict)
    file: Path | None = None

    @property
    def has_cjk(self) -> bool:
        """Whether Chinese text will render."""
        return self.family is not None


def find_cjk_font_source() -> Path | None:
    """The font file to ship: ``$CHARGEPILE_CJK_FONT`` if set and present, else Debian's."""
    override = os.environ.get("CHARGEPILE_CJK_FONT")
    for candidate in (Path(override) if override else None, SYSTEM_CJK_FONT):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def install_cjk_font(assets_dir: Path, *, source: Path | None = None) -> FontSetup:
    """Make sure ``assets_dir/fonts/DroidSansFallbackFull.ttf`` exists; return the font setup.

    Copies from ``source`` (default :func:`find_cjk_font_source`) when the target is missing or
    differs in size, atomically, so two app processes starting together never serve half a file.
    An existing copy is used even if the source is gone (a deployed app without the Debian
    package). Without either, returns the Roboto-only :class:`FontSetup`.
    """
    target = assets_dir / CJK_FONT_ASSET
    src = source if source is not None else find_cjk_font_source()
    if src is not None and not src.is_file():
        src = None
    stale = not target.is_file() or (
        src is not None and target.stat().st_size != src.stat().st_size
    )
    if src is not None and stale:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".font-", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a web server may run as another user
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    if target.is_file():
        return FontSetup(
            family=CJK_FONT_FAMILY, fonts={CJK_FONT_FAMILY: CJK_FONT_ASSET}, file=target
        )
    return FontSetup()
