"""Typed endpoint groups, one module per area of the API (attached to ``ChargepileClient``)."""
