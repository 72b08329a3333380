"""Visit plans, visit records and care records."""
