"""Screens of the home app, one module per screen; ``root.HomeApp`` picks the current one."""

from apps.home.views.root import HomeApp

__all__ = ["HomeApp"]
