"""Verification: the tools a verification agent uses to gather evidence when a prediction is due."""
