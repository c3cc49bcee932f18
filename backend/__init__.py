"""chargepile reference backend: REST API, live event streams and the OCPP 1.6J central system.

Nothing happens at import: build an application with :func:`backend.app.create_app` from
:class:`backend.settings.Settings`.
"""
