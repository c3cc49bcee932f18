"""Which language a session starts in: an explicit ``?lang=``, else the driver's remembered
choice, else the browser's (or phone's) language when it is Simplified Chinese, else English.

Why here: a QR code opens the H5 page in whatever browser the driver's phone has; a Chinese
phone must not greet them in English. Flet 1.0.5 does not send the browser's languages with
the session (only ``page.client_user_agent``); they come from ``page.get_device_info()``, which
on the web reads ``navigator.language``/``navigator.languages`` and on phones the OS locales.
One extra round trip at start, made before the first frame so the page never flips language.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import flet as ft

from apps.user_mobile.state.credentials import DeviceMemory
from backend_client import CredentialStoreError
from shared import Language

__all__ = [
    "LANGUAGE_KEY",
    "device_languages",
    "initial_language",
    "preferred_language",
    "split_lang",
]

LANGUAGE_KEY = "chargepile.driver.language"
"""Where the driver's own choice (the language switch) is remembered on the device."""

DEVICE_INFO_TIMEOUT = 3.0
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def _language_of(tag: str) -> Language | None:
    """The app language for one BCP 47 tag: Simplified Chinese (``zh``, ``zh-CN``,
    ``zh-Hans…``, ``zh-SG``) or English; ``None`` for anything else, Traditional Chinese
    included (the app has no Traditional catalog)."""
    norm = tag.strip().replace("_", "-").lower()
    if norm == "zh" or norm.startswith("zh-"):
        return None if norm.startswith(_TRADITIONAL) else Language.ZH_CN
    if norm == "en" or norm.startswith("en-"):
        return Language.EN
    return None


def preferred_language(tags: Sequence[str]) -> Language | None:
    """The first of the browser's preferred ``tags`` the app speaks (``None``: none)."""
    for tag in tags:
        language = _language_of(tag)
        if language is not None:
            return language
    return None


def split_lang(route: str) -> tuple[str, Language | None]:
    """``route`` without its ``lang`` query parameter, and the language it asks for
    (``/c/CP-1/1?lang=zh-CN`` → ``("/c/CP-1/1", ZH_CN)``; an unknown value asks for none)."""
    parts = urlsplit(route)
    if not parts.query:
        return route, None
    params = parse_qsl(parts.query, keep_blank_values=True)
    wanted = [value for key, value in params if key == "lang"]
    if not wanted:
        return route, None
    rest = urlencode([(key, value) for key, value in params if key != "lang"])
    clean = urlunsplit(("", "", parts.path or "/", rest, parts.fragment))
    return clean, _language_of(wanted[-1])


async def device_languages(page: ft.Page) -> list[str]:
    """The browser's (``navigator.languages``) or the phone's preferred language tags, in
    order; empty when the client cannot tell (or does not answer in time)."""
    with contextlib.suppress(Exception):  # any client failure just means "unknown"
        async with asyncio.timeout(DEVICE_INFO_TIMEOUT):
            info = await page.get_device_info()
        if isinstance(info, ft.WebDeviceInfo):
            tags = list(info.languages or [])
            if info.language and info.language not in tags:
                tags.insert(0, info.language)
            if tags:
                return tags
        if info is not None:
            return [loc.language_tag for loc in info.locales or []]
    return []


async def initial_language(
    page: ft.Page, memory: DeviceMemory, route: str
) -> tuple[Language, str, bool]:
    """``(language, route without ?lang, explicit)`` for a session opening ``route``.

    ``explicit`` is true when the URL chose the language (that choice is not remembered: it
    belongs to the link, not to the driver).
    """
    clean, asked = split_lang(route)
    if asked is not None:
        return asked, clean, True
    remembered: str | None = None
    with contextlib.suppress(CredentialStoreError):
        remembered = await memory.get(LANGUAGE_KEY)
    if remembered:
        choice = _language_of(remembered)
        if choice is not None:
            return choice, clean, False
    found = preferred_language(await device_languages(page))
    return found or Language.EN, clean, False
