"""Screens of the operator app, one module per screen; they render ``state`` models only."""
