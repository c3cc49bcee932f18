"""Shipping the CJK font into an app's assets (copied at start-up, never committed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared import CJK_FONT_ASSET, CJK_FONT_FAMILY, install_cjk_font
from shared.__main__ import main as cli
from shared.fonts import SYSTEM_CJK_FONT


def test_install_copies_the_font_once(tmp_path: Path) -> None:
    source = tmp_path / "src.ttf"
    source.write_bytes(b"\x00\x01\x00\x00" + b"f" * 100)
    assets = tmp_path / "assets"
    setup = install_cjk_font(assets, source=source)
    assert setup.has_cjk and setup.family == CJK_FONT_FAMILY
    assert setup.fonts == {CJK_FONT_FAMILY: CJK_FONT_ASSET}
    target = assets / CJK_FONT_ASSET
    assert target.read_bytes() == source.read_bytes()
    mtime = target.stat().st_mtime_ns
    install_cjk_font(assets, source=source)
    assert target.stat().st_mtime_ns == mtime  # unchanged file is not rewritten
    source.write_bytes(b"newer font, different size")
    install_cjk_font(assets, source=source)
    assert target.read_bytes() == source.read_bytes()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".font-")]


def test_without_any_font_the_app_degrades_to_roboto(tmp_path: Path) -> None:
    setup = install_cjk_font(tmp_path, source=tmp_path / "missing.ttf")
    assert not setup.has_cjk and setup.fonts == {} and setup.family is None


def test_an_existing_copy_is_used_when_the_source_is_gone(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / CJK_FONT_ASSET).write_bytes(b"font")
    setup = install_cjk_font(tmp_path, source=tmp_path / "missing.ttf")
    assert setup.has_cjk and setup.file == tmp_path / CJK_FONT_ASSET


def test_env_override_and_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "custom.ttf"
    source.write_bytes(b"custom font")
    monkeypatch.setenv("CHARGEPILE_CJK_FONT", str(source))
    assert cli(["install-fonts", str(tmp_path / "app1")]) == 0
    assert (tmp_path / "app1" / CJK_FONT_ASSET).read_bytes() == b"custom font"
    assert capsys.readouterr().out.strip().endswith(CJK_FONT_ASSET)
    assert cli([]) == 2
    assert cli(["install-fonts", str(tmp_path / "app2")]) == 0
    assert (tmp_path / "app2" / CJK_FONT_ASSET).stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(not SYSTEM_CJK_FONT.is_file(), reason="fonts-droid-fallback not installed")
def test_debian_font_is_found_and_covers_chinese(tmp_path: Path) -> None:
    from PIL import ImageFont

    setup = install_cjk_font(tmp_path)
    assert setup.file is not None and setup.file.stat().st_size > 1_000_000
    font = ImageFont.truetype(str(setup.file), 32)
    # A glyph the font lacks renders as the same empty box for every character.
    masks = {bytes(font.getmask(ch)) for ch in "充电桩"}
    assert len(masks) == 3
