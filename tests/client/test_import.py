"""The client ships inside phone apps: it must not pull in the backend or its server stack."""

from __future__ import annotations

import subprocess
import sys

import backend_client


def test_importing_the_client_loads_no_server_modules() -> None:
    code = (
        "import sys, backend_client, backend_client.models\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'backend', 'fastapi', 'sqlalchemy', 'starlette', 'uvicorn', 'keyring', 'flet'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == ""


def test_public_names_are_exported_explicitly() -> None:
    public = sorted(
        name
        for name in dir(backend_client)
        if not name.startswith("_")
        and name not in {"annotations"}
        and not isinstance(getattr(backend_client, name), type(sys))
    )
    assert sorted(backend_client.__all__) == public
