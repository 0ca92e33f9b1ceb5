"""CalledIt: turn natural-language predictions into structured, verifiable calls."""

__version__ = "0.1.0"
