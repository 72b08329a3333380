"""Planned outages and their notices."""
