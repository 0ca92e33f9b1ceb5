"""Identity: Cognito ID token verification (`tokens`) and the local Cognito-compatible issuer.

Only `tokens` ships to Lambda; `local_issuer` needs the ``local`` extra (aiohttp) and is imported
explicitly by the local stack and tests.
"""

from calledit.auth.tokens import Identity, InvalidToken, TokenVerifier, verifier_from_settings

__all__ = ["Identity", "InvalidToken", "TokenVerifier", "verifier_from_settings"]
