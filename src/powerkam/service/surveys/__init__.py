"""Satisfaction and exit surveys with one-time links."""
