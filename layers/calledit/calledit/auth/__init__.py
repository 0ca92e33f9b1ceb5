"""Identity: verification of Cognito ID tokens (RS256 against the pool's JWKS).

The local stack's Cognito-compatible issuer lives in ``calledit.local.issuer`` (not in the layer).
"""

from calledit.auth.tokens import Identity, InvalidToken, TokenVerifier, verifier_from_settings

__all__ = ["Identity", "InvalidToken", "TokenVerifier", "verifier_from_settings"]
