"""The "bills" import kind (registered with powerkam.imports once its registry exists)."""
