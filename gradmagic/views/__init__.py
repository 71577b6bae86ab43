"""Renderings of a Report. Views format; they never compute diagnoses."""
