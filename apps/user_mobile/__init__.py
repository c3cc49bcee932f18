"""chargepile driver app: find a charger, scan its QR code, pay, watch and stop a session.

The same Flet app runs installed on a phone and as the H5 page a charger's QR code opens
(``<public driver URL>/c/<chargePointId>/<connectorId>``, no install and no account needed).
Entry points live in :mod:`apps.user_mobile.main` (``make_main``, ``serve_driver_app``).
"""
