"""Home charging app (issue 8): tap to charge at your own wall box over Bluetooth."""
