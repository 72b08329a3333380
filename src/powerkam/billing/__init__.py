"""Tariffs, the bill calculator, bills and billing runs."""
