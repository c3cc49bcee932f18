"""Issue 9, security: secrets that travel in URLs never reach the server log.

A signed receipt link (``?t=``), a guest's session or receipt token (in the path) and a token
given to an event stream in the query would otherwise be written in full by the web server's
access log at its default ``info`` level — and anyone reading the log could replay them. This
runs the real ``chargepile serve`` process at ``info`` and reads what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from backend.log_redaction import redact_url
from tests.reliability.support import BackendProcess, backend_env
from tests.support.backend import fresh_database_url, make_test_settings, running_app

SECRET = "s3cr3t-TOKEN-value"
PATHS = (
    f"/api/v1/sessions/1/receipt/download?t={SECRET}",
    f"/api/v1/guest/sessions/{SECRET}",
    f"/api/v1/guest/sessions/{SECRET}/stop",
    f"/api/v1/guest/receipts/{SECRET}",
    f"/api/v1/guest/receipts/{SECRET}.pdf",
    f"/api/v1/events?access_token={SECRET}&topic=x",
)


def test_redaction_keeps_the_rest_of_the_url() -> None:
    assert redact_url("/api/v1/guest/receipts/abc.pdf") == "/api/v1/guest/receipts/***.pdf"
    assert redact_url("/e?x=1&access_token=a.b.c&y=2") == "/e?x=1&access_token=***&y=2"
    assert redact_url("/api/v1/stations?q=tea&page=2") == "/api/v1/stations?q=tea&page=2"


async def test_access_log_of_a_real_server_shows_no_url_secret(tmp_path: Path) -> None:
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(url, tmp_path)
        async with running_app(settings):
            pass  # creates the schema the server process expects
        backend = BackendProcess(backend_env(settings), tmp_path, log_level="info")
        await backend.start()
        try:
            async with httpx.AsyncClient(base_url=backend.base_url, timeout=10) as client:
                for path in PATHS:
                    await client.get(path)
        finally:
            await backend.stop()
    log = backend.log_path.read_text("utf-8", errors="replace")
    assert log.count("***") >= len(PATHS), log  # every request was logged, redacted
    assert SECRET not in log
