"""OpenAPI documentation of error answers: every 4xx carries the one ``ErrorBody`` shape.

Routes declare ``responses=errors(404, 409)``; 401/403 and 422 come with the auth
dependencies and request validation, so they are listed by default.
"""

from __future__ import annotations

from typing import Any

from backend_client.models.system import ErrorBody

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, unknown or expired credentials",
    403: "Signed in, but not allowed (wrong role)",
    404: "Not found (or another operator's: existence is never revealed)",
    409: "The current state forbids it (duplicate, in use, retired ...)",
    422: "A field is invalid; `error.fields` names each one",
    429: "Too many requests; see the Retry-After header",
    503: "Temporarily unavailable; retry",
}


def errors(*codes: int, auth: bool = True) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` mapping for the given status codes (plus 401/403/422 by default)."""
    wanted = set(codes) | {422}
    if auth:
        wanted |= {401, 403}
    return {
        code: {"model": ErrorBody, "description": _DESCRIPTIONS.get(code, "Error")}
        for code in sorted(wanted)
    }
