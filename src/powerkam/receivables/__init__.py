"""Payments, late-payment penalties, the receivables ladder and collections."""
