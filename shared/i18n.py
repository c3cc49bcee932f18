"""The one translation layer: every user-visible string of every app goes through here.

Why: the apps switch between English and Simplified Chinese at run time, so no view may hold a
literal label. Texts live in one JSON catalog per language (``shared/locales/<language>.json`` for
the library, the same layout in each app for its own screens); :class:`I18n` merges them and
:meth:`I18n.check` is what the missing-key test calls, so a key added in English only fails CI
instead of showing a raw key to a Chinese user.

Placeholders use ``str.format`` syntax (``"{available} of {total}"``); the check also verifies that
every language uses the same placeholders as English.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from shared.errors import CatalogError, MissingTranslation

__all__ = ["Catalogs", "I18n", "Language", "load_catalogs"]

logger = logging.getLogger(__name__)

Catalogs = Mapping["Language", Mapping[str, str]]
"""Texts per language: ``{Language.EN: {"common.retry": "Retry", ...}, ...}``."""


class Language(StrEnum):
    """The languages the apps ship; values are BCP 47 tags (also the catalog file names)."""

    EN = "en"
    ZH_CN = "zh-CN"

    @property
    def native_name(self) -> str:
        """The language's name in itself, for the language switcher (never translated)."""
        return _NATIVE_NAMES[self]

    @property
    def flet_locale(self) -> tuple[str, str | None]:
        """``(language_code, country_code)`` for ``ft.Locale`` (Material widgets' own texts)."""
        lang, _, country = self.value.partition("-")
        return lang, country or None

    @classmethod
    def parse(cls, tag: str | None, default: Language | None = None) -> Language:
        """Best match for a browser/OS tag: ``"zh"``, ``"zh_CN"``, ``"zh-Hans-CN"`` → ZH_CN.

        Unknown or empty tags give ``default`` (English when not given).
        """
        norm = (tag or "").replace("_", "-").lower()
        if norm.startswith("zh"):
            return cls.ZH_CN
        if norm.startswith("en"):
            return cls.EN
        return default if default is not None else cls.EN


_NATIVE_NAMES = {Language.EN: "English", Language.ZH_CN: "简体中文"}


def load_catalogs(directory: Path | resources.abc.Traversable) -> dict[Language, dict[str, str]]:
    """Read ``<language>.json`` files (flat ``{"key": "text"}`` objects) from ``directory``.

    Languages without a file get an empty catalog, which :meth:`I18n.check` then reports.

    Raises:
        CatalogError: a file is not a flat JSON object of strings.
    """
    out: dict[Language, dict[str, str]] = {}
    for language in Language:
        path = directory / f"{language.value}.json"
        if not path.is_file():
            out[language] = {}
            continue
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise CatalogError(f"{path}: expected a flat JSON object of strings")
        out[language] = data
    return out


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class I18n:
    """Merged catalogs plus lookup with fallback.

    Args:
        catalogs: texts per language.
        fallback: the language used when a key is missing in the requested one (and the reference
            for :meth:`check`).
        strict: raise :class:`~shared.errors.MissingTranslation` for a key missing everywhere
            instead of showing the key itself (use in tests).

    Example::

        i18n = I18n.default().extended(load_catalogs(Path(__file__).parent / "locales"))
        i18n.translate(Language.ZH_CN, "common.retry")  # "重试"
    """

    def __init__(
        self, catalogs: Catalogs, *, fallback: Language = Language.EN, strict: bool = False
    ) -> None:
        self._catalogs: dict[Language, dict[str, str]] = {
            language: dict(catalogs.get(language, {})) for language in Language
        }
        self.fallback = fallback
        self.strict = strict
        self._reported: set[tuple[Language, str]] = set()

    @classmethod
    def default(cls, *, strict: bool = False) -> I18n:
        """The library's own catalogs (status names, common buttons, units...)."""
        return cls(load_catalogs(resources.files("shared") / "locales"), strict=strict)

    def extended(self, extra: Catalogs) -> I18n:
        """A new I18n with ``extra`` merged over this one (apps add their screens' texts)."""
        merged = {
            language: {**self._catalogs[language], **dict(extra.get(language, {}))}
            for language in Language
        }
        return I18n(merged, fallback=self.fallback, strict=self.strict)

    def keys(self, language: Language | None = None) -> frozenset[str]:
        """Keys defined for ``language`` (the fallback language by default)."""
        return frozenset(self._catalogs[language or self.fallback])

    def has(self, key: str, language: Language | None = None) -> bool:
        """Whether ``key`` has a text in ``language`` (the fallback by default)."""
        return key in self._catalogs[language or self.fallback]

    def translate(self, language: Language, key: str, /, **params: Any) -> str:
        """The text for ``key`` in ``language``, placeholders filled from ``params``.

        Falls back to the fallback language, then to the key itself (logged once), or raises
        :class:`~shared.errors.MissingTranslation` when strict.
        """
        text = self._catalogs[language].get(key)
        if text is None:
            text = self._catalogs[self.fallback].get(key)
            if (language, key) not in self._reported:
                self._reported.add((language, key))
                logger.warning("missing %s translation for %r", language.value, key)
        if text is None:
            if self.strict:
                raise MissingTranslation(key)
            return key
        return text.format(**params) if params else text

    def missing_keys(self) -> dict[Language, set[str]]:
        """Per language, keys the fallback language has and it does not (empty sets = good)."""
        reference = set(self._catalogs[self.fallback])
        return {
            language: reference - set(self._catalogs[language])
            for language in Language
            if language != self.fallback
        }

    def problems(self) -> list[str]:
        """Everything :meth:`check` would complain about, one line each."""
        out: list[str] = []
        reference = self._catalogs[self.fallback]
        for language, missing in self.missing_keys().items():
            out.extend(f"{language.value}: missing {key!r}" for key in sorted(missing))
            catalog = self._catalogs[language]
            out.extend(
                f"{language.value}: {key!r} is not in {self.fallback.value}"
                for key in sorted(set(catalog) - set(reference))
            )
            for key in sorted(set(catalog) & set(reference)):
                if _placeholders(catalog[key]) != _placeholders(reference[key]):
                    out.append(
                        f"{language.value}: {key!r} placeholders "
                        f"{sorted(_placeholders(catalog[key]))} != "
                        f"{sorted(_placeholders(reference[key]))}"
                    )
        for language, catalog in self._catalogs.items():
            out.extend(
                f"{language.value}: {key!r} is empty" for key, text in catalog.items() if not text
            )
        return out

    def check(self) -> None:
        """Raise :class:`~shared.errors.CatalogError` listing every catalog problem.

        The missing-key test of each app calls this on its merged I18n.
        """
        problems = self.problems()
        if problems:
            raise CatalogError("translation catalogs are inconsistent:\n" + "\n".join(problems))
