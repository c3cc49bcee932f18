"""Observable models of the operator app (one set per browser tab / phone session).

Views read these and call their methods; only this package talks to ``backend_client``.
"""
