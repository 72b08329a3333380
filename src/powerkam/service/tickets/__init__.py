"""Tickets and complaints with first-contact responsibility."""
