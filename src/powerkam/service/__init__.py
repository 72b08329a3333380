"""Service: visits, care, tickets and complaints, surveys, planned outages (DESIGN.md).

Four Django apps under one package so that each keeps its own migrations (docs/decisions/0002)."""
