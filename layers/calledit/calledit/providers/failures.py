"""Provider failures mapped to stable error codes with messages that say what to fix.

Classified by exception type (Strands' own, then each SDK's), never by message text:
- throttling (``ModelThrottledException``) -> ``rate_limited`` with ``retry_after``;
- bad credentials, access denied, unknown or not-enabled model -> ``model_unavailable`` naming the
  setting to change;
- context overflow, refusals and everything else -> ``model_error``.
"""

from __future__ import annotations

import sys
from typing import Any

from calledit.errors import CallError, ErrorCode

DEFAULT_RETRY_AFTER_S = 30

# Bedrock / AWS error codes (botocore ClientError.response["Error"]["Code"]).
_AWS_ACCESS = {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException"}
_AWS_CREDENTIALS = {"ExpiredTokenException", "ExpiredToken", "InvalidClientTokenId"}
_AWS_MISSING = {"ResourceNotFoundException", "ModelNotReadyException"}
# Bedrock answers an unknown model id or an unsupported request shape with a ValidationException
# (context overflow too, but Strands already turned that one into ContextWindowOverflowException).
_AWS_INVALID = {"ValidationException"}
_AWS_THROTTLE = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}


class RunFailure(CallError):
    """A failure of the model run, with an optional hint of when to retry."""

    def __init__(self, code: ErrorCode, message: str, retry_after: int | None = None) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


def _sdk_class(module: str, name: str) -> type[BaseException] | None:
    """An SDK's exception class, only if that SDK is already imported (never import it for this)."""
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(exc: BaseException, module: str, *names: str) -> bool:
    return any((cls := _sdk_class(module, name)) is not None and isinstance(exc, cls) for name in names)


def _root(exc: BaseException) -> BaseException:
    """The underlying error of Strands' wrappers (EventLoopException and friends)."""
    seen = 0
    while seen < 5:
        inner = getattr(exc, "original_exception", None) or exc.__cause__
        if not isinstance(inner, BaseException) or inner is exc:
            return exc
        if _is(exc, "strands.types.exceptions", "ModelThrottledException", "ContextWindowOverflowException"):
            return exc
        exc, seen = inner, seen + 1
    return exc


def classify(exc: BaseException, model_label: str) -> RunFailure:
    """The stable code and plain-words message for a failed model run."""
    if isinstance(exc, RunFailure):
        return exc
    if isinstance(exc, CallError):
        return RunFailure(exc.code, exc.message)
    root = _root(exc)
    if (
        _is(root, "strands.types.exceptions", "ModelThrottledException")
        or _is(root, "openai", "RateLimitError")
        or _is(root, "anthropic", "RateLimitError")
    ):
        return RunFailure(
            ErrorCode.RATE_LIMITED,
            f"The model ({model_label}) is rate limited right now; try again in about "
            f"{DEFAULT_RETRY_AFTER_S} s.",
            retry_after=DEFAULT_RETRY_AFTER_S,
        )
    if _is(root, "strands.types.exceptions", "ContextWindowOverflowException"):
        return RunFailure(
            ErrorCode.MODEL_ERROR,
            "The conversation grew past the model's context window. Shorten the prediction and try again.",
        )
    if _is(root, "strands.types.exceptions", "MaxTokensReachedException"):
        return RunFailure(
            ErrorCode.MODEL_ERROR,
            "The model hit its output token limit before finishing (CALLEDIT_MAX_OUTPUT_TOKENS). Try again.",
        )
    if _is(root, "strands.types.exceptions", "StructuredOutputException"):
        return RunFailure(
            ErrorCode.MODEL_ERROR,
            "The model answered in prose instead of a structured prediction. Try again, or use a model "
            "that supports tool use.",
        )
    unavailable = _unavailable(root, model_label)
    if unavailable is not None:
        return unavailable
    return RunFailure(
        ErrorCode.MODEL_ERROR,
        f"The model could not finish the analysis ({type(root).__name__}). Try again in a moment.",
    )


def _unavailable(root: BaseException, label: str) -> RunFailure | None:
    """Credentials, permissions or a model id that cannot work until configuration changes."""
    key_hint = "check CALLEDIT_MODEL_API_KEY"
    id_hint = f"check CALLEDIT_MODEL_ID (now {label!r})"
    if _is(root, "openai", "AuthenticationError") or _is(root, "anthropic", "AuthenticationError"):
        return RunFailure(ErrorCode.MODEL_UNAVAILABLE, f"The model provider refused the API key: {key_hint}.")
    if _is(root, "openai", "PermissionDeniedError") or _is(root, "anthropic", "PermissionDeniedError"):
        return RunFailure(
            ErrorCode.MODEL_UNAVAILABLE,
            f"The API key has no access to this model: {key_hint} and {id_hint}.",
        )
    if _is(root, "openai", "NotFoundError") or _is(root, "anthropic", "NotFoundError"):
        return RunFailure(
            ErrorCode.MODEL_UNAVAILABLE,
            f"The provider does not know this model: {id_hint} (and CALLEDIT_MODEL_BASE_URL).",
        )
    code = _aws_code(root)
    if code in _AWS_THROTTLE:
        return RunFailure(
            ErrorCode.RATE_LIMITED,
            f"The model ({label}) is rate limited right now; try again in about {DEFAULT_RETRY_AFTER_S} s.",
            retry_after=DEFAULT_RETRY_AFTER_S,
        )
    if code in _AWS_ACCESS:
        return RunFailure(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Access to the Bedrock model was denied: enable model access for it in the Bedrock console "
            f"and allow bedrock:InvokeModelWithResponseStream on it; {id_hint}.",
        )
    if code in _AWS_CREDENTIALS:
        return RunFailure(
            ErrorCode.MODEL_UNAVAILABLE, "The AWS credentials were refused or expired: renew them."
        )
    if code in _AWS_INVALID:
        detail = str(getattr(root, "response", {}).get("Error", {}).get("Message", ""))[:200]
        return RunFailure(ErrorCode.MODEL_UNAVAILABLE, f"Bedrock rejected the request ({detail}): {id_hint}.")
    if code in _AWS_MISSING:
        return RunFailure(
            ErrorCode.MODEL_UNAVAILABLE,
            f"Bedrock does not offer this model here: {id_hint} and CALLEDIT_BEDROCK_REGION.",
        )
    return None


def _aws_code(exc: BaseException) -> str | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code = error.get("Code") if isinstance(error, dict) else None
        return str(code) if code else None
    return None
