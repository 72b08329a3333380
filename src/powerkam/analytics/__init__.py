"""Analysis pages across modules."""
