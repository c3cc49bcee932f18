"""chargepile operator app: the mobile office at phone width, the management console at desktop width.

One Flet app (``main.make_main``) served per browser tab by :func:`serve_operator_app` (web mode,
offline) or packaged for phones with ``flet build apk|ipa`` (see ``pyproject.toml``).
Layers: ``views`` render and call ``state``; ``state`` talks to ``backend_client``; nothing here
speaks HTTP itself.
"""
