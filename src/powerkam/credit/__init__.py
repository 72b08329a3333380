"""Credit assessments and payment-behaviour ratings."""
