"""Model providers: configuration-driven selection and the offline heuristic model."""

from calledit.providers.selection import ModelChoice, ModelConfig, select_model

__all__ = ["ModelChoice", "ModelConfig", "select_model"]
