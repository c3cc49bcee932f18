"""The public surface of ``shared`` and the layering rules it must keep."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import shared

SHARED_DIR = Path(shared.__file__).parent


def test_all_is_complete_and_importable() -> None:
    public = shared.__all__  # ordering is checked by ruff (RUF022)
    assert len(public) == len(set(public))
    for name in public:
        assert hasattr(shared, name), name
    # everything a submodule exports is re-exported at the top
    for module in (
        "components",
        "errors",
        "fonts",
        "formatting",
        "i18n",
        "models",
        "qr",
        "state",
        "status",
        "theme",
    ):
        sub = __import__(f"shared.{module}", fromlist=["__all__"])
        missing = [n for n in sub.__all__ if n not in public and n not in _INTERNAL]
        assert not missing, (module, missing)


_INTERNAL = {"SYSTEM_CJK_FONT"}


def test_every_module_says_why_it_exists() -> None:
    for path in SHARED_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} has no module docstring"


def test_views_layer_never_touches_io_libraries() -> None:
    forbidden = {"httpx", "sqlalchemy", "bleak", "backend", "backend_client", "requests"}
    for path in SHARED_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path} imports {name}"


def test_no_module_is_past_400_lines() -> None:
    for path in SHARED_DIR.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path


def test_components_are_flet_components() -> None:
    for name in (
        "StatusBadge",
        "ChargerCard",
        "StationCard",
        "KpiTile",
        "SessionGauge",
        "ChartCard",
        "EmptyState",
        "ErrorState",
        "LoadingState",
        "LoadableView",
        "ResponsiveScaffold",
        "QrCode",
        "ConnectionBanner",
        "LanguageSwitch",
        "ThemeToggle",
        "UiRoot",
    ):
        fn = getattr(shared, name)
        assert getattr(fn, "__is_component__", False), name
        assert inspect.signature(fn).return_annotation is not inspect.Signature.empty
