"""The ``chargepile`` command: the composition root that starts the backend, the simulators
and the apps, each built from its own package with its collaborators injected."""
