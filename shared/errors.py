"""The one exception tree of the shared UI library.

Everything ``shared`` raises on purpose derives from :class:`SharedUiError`, so an app can tell a
bug in its use of the library from an unexpected failure::

    SharedUiError
    ├── CatalogError          a translation catalog is incomplete or inconsistent (checked in tests)
    │   └── MissingTranslation  a key has no text in any catalog (strict mode only)
    ├── UiContextMissing      a component that needs UiState was rendered outside provide_ui()
    └── QrError               data cannot be encoded as a QR code (too long / empty)
"""

from __future__ import annotations

__all__ = ["CatalogError", "MissingTranslation", "QrError", "SharedUiError", "UiContextMissing"]


class SharedUiError(Exception):
    """Base class of every error raised on purpose by ``shared``."""


class CatalogError(SharedUiError):
    """A translation catalog is broken: missing keys, stray keys or mismatched placeholders.

    Raised by :meth:`shared.I18n.check`; catch it in a test, not at run time.
    """


class MissingTranslation(CatalogError):
    """A key has no text in the requested language nor in the fallback (strict I18n only)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no translation for key {key!r}")
        self.key = key


class UiContextMissing(SharedUiError):
    """A shared component asked for :class:`shared.UiState` but no provider is above it.

    Render the tree through :func:`shared.provide_ui` (see :func:`shared.bind_page`).
    """


class QrError(SharedUiError):
    """The data cannot be turned into a QR code (empty, or more than a QR code can hold)."""
