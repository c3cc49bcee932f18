"""The driver app's screens: one module per screen, rendering the models of ``state/``."""
