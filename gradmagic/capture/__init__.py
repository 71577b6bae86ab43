"""Capture: what wrapping ``fit`` needs so that the user sees nothing of gradmagic."""
