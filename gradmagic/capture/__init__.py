"""Capture: wrap ``fit`` while a check is active and map runtime objects back to source lines."""
