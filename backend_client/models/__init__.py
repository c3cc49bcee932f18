"""Wire models: the single contract between the backend and every app.

The backend declares its request and response schemas with these very classes, so the two
sides cannot drift; ``tests/client/test_contract.py`` checks every OpenAPI path and schema has
its counterpart here. One module per API area; everything is re-exported from here.
"""

from backend_client.models.events import LiveEvent

__all__ = ["LiveEvent"]
