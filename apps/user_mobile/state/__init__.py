"""Observable models of the driver app: one per journey, all talking to ``backend_client``.

Views render these and call their methods; nothing here imports Flet controls or httpx.
"""
