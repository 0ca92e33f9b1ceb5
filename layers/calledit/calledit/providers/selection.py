"""Choose the model provider from configuration (environment variables).

| CALLEDIT_MODEL | needs extra  | other variables                                                   |
|----------------|--------------|-------------------------------------------------------------------|
| offline        | -            | CALLEDIT_OFFLINE_DELAY_MS (pause per streamed chunk, default 0)   |
| bedrock        | -            | CALLEDIT_MODEL_ID, CALLEDIT_BEDROCK_REGION (else AWS_REGION)      |
| openai         | openai       | CALLEDIT_MODEL_ID, CALLEDIT_MODEL_BASE_URL, CALLEDIT_MODEL_API_KEY|
| ollama         | ollama       | CALLEDIT_MODEL_ID, CALLEDIT_MODEL_BASE_URL (http://127.0.0.1:11434)|
| litellm        | litellm      | CALLEDIT_MODEL_ID (e.g. "openai/gpt-4o"), CALLEDIT_MODEL_API_KEY  |
| anthropic      | anthropic    | CALLEDIT_MODEL_ID, CALLEDIT_MODEL_API_KEY, CALLEDIT_MODEL_BASE_URL|

Default: ``bedrock`` inside AWS Lambda, ``offline`` everywhere else.
Provider modules are imported only when selected, so a missing extra costs nothing until used.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from calledit.errors import ModelUnavailable

if TYPE_CHECKING:
    from strands.models.model import Model

PROVIDERS = ("offline", "bedrock", "openai", "ollama", "litellm", "anthropic")
DEFAULT_BEDROCK_MODEL = "global.anthropic.claude-sonnet-4-6"
DEFAULT_MODEL_IDS = {
    "bedrock": DEFAULT_BEDROCK_MODEL,
    "openai": "gpt-4o-mini",
    "ollama": "llama3.1",
    "litellm": "openai/gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
}
# Each provider SDK retries 429/5xx itself; Strands retries throttling on top (sized in agent.py).
SDK_ATTEMPTS = 3
REQUEST_TIMEOUT_S = 60.0
MAX_TOKENS_PER_CALL = 2_048
# (module, class, pip extra) per provider; the extra is what `pip install calledit[extra]` adds.
_PROVIDER_CLASSES = {
    "bedrock": ("strands.models.bedrock", "BedrockModel", None),
    "openai": ("strands.models.openai", "OpenAIModel", "openai"),
    "ollama": ("strands.models.ollama", "OllamaModel", "ollama"),
    "litellm": ("strands.models.litellm", "LiteLLMModel", "litellm"),
    "anthropic": ("strands.models.anthropic", "AnthropicModel", "anthropic"),
}


@dataclass(frozen=True)
class ModelConfig:
    """What to run: provider name plus its settings."""

    provider: str
    model_id: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    region: str | None = None
    offline_delay_ms: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelConfig:
        """Read ``CALLEDIT_MODEL*`` variables (see module docstring)."""
        env = os.environ if env is None else env
        in_lambda = "AWS_LAMBDA_FUNCTION_NAME" in env
        provider = (env.get("CALLEDIT_MODEL") or ("bedrock" if in_lambda else "offline")).strip().lower()
        if provider not in PROVIDERS:
            raise ModelUnavailable(
                f"unknown CALLEDIT_MODEL {provider!r}; choose one of {', '.join(PROVIDERS)}"
            )
        try:
            delay = float(env.get("CALLEDIT_OFFLINE_DELAY_MS", "0") or 0)
        except ValueError:
            raise ModelUnavailable("CALLEDIT_OFFLINE_DELAY_MS must be a number of milliseconds") from None
        return cls(
            provider=provider,
            model_id=env.get("CALLEDIT_MODEL_ID") or None,
            base_url=env.get("CALLEDIT_MODEL_BASE_URL") or None,
            api_key=env.get("CALLEDIT_MODEL_API_KEY") or None,
            region=env.get("CALLEDIT_BEDROCK_REGION") or env.get("AWS_REGION") or None,
            offline_delay_ms=max(0.0, delay),
        )


@dataclass(frozen=True)
class ModelChoice:
    """A ready model and the name to show users (never an LLM name for the offline model)."""

    model: Model
    label: str


def _provider_class(provider: str) -> Any:
    module_name, class_name, extra = _PROVIDER_CLASSES[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"pip install 'calledit[{extra}]'" if extra else "pip install strands-agents"
        raise ModelUnavailable(f"the {provider} model needs an extra package ({exc.name}): {hint}") from None
    return getattr(module, class_name)


Role = Literal["analysis", "verification"]


def select_model(config: ModelConfig | None = None, role: Role = "analysis") -> ModelChoice:
    """Build the configured model; raise ``ModelUnavailable`` with a one-line fix when it cannot be.

    An LLM plays every role; the offline model has one deterministic model per role.
    """
    config = config or ModelConfig.from_env()
    if config.provider == "offline":
        delay_s = config.offline_delay_ms / 1000
        if role == "verification":
            from calledit.providers.offline_verifier import OFFLINE_VERIFIER_NAME, OfflineVerifierModel

            return ModelChoice(OfflineVerifierModel(delay_s=delay_s), OFFLINE_VERIFIER_NAME)
        from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel

        return ModelChoice(OfflineHeuristicModel(delay_s=delay_s), OFFLINE_MODEL_NAME)

    model_id = config.model_id or DEFAULT_MODEL_IDS[config.provider]
    cls = _provider_class(config.provider)
    if config.provider == "bedrock":
        from botocore.config import Config

        kwargs: dict[str, Any] = {
            "model_id": model_id,
            "streaming": True,
            "max_tokens": MAX_TOKENS_PER_CALL,
            # total_max_attempts counts the first try (max_attempts would count only retries).
            "boto_client_config": Config(
                retries={"mode": "standard", "total_max_attempts": SDK_ATTEMPTS},
                connect_timeout=5,
                read_timeout=REQUEST_TIMEOUT_S,
            ),
        }
        if config.region:
            kwargs["region_name"] = config.region
        return ModelChoice(cls(**kwargs), f"bedrock:{model_id}")
    if config.provider == "openai":
        client_args: dict[str, Any] = {
            "api_key": config.api_key or "not-needed",
            "max_retries": SDK_ATTEMPTS - 1,
            "timeout": REQUEST_TIMEOUT_S,
        }
        if config.base_url:
            client_args["base_url"] = config.base_url
        return ModelChoice(cls(client_args=client_args, model_id=model_id), f"openai:{model_id}")
    if config.provider == "ollama":
        return ModelChoice(
            cls(config.base_url or "http://127.0.0.1:11434", model_id=model_id), f"ollama:{model_id}"
        )
    if config.provider == "litellm":
        litellm_args: dict[str, Any] = {}
        if config.api_key:
            litellm_args["api_key"] = config.api_key
        if config.base_url:
            litellm_args["api_base"] = config.base_url
        return ModelChoice(cls(client_args=litellm_args, model_id=model_id), f"litellm:{model_id}")
    anthropic_args: dict[str, Any] = {"max_retries": SDK_ATTEMPTS - 1, "timeout": REQUEST_TIMEOUT_S}
    if config.api_key:
        anthropic_args["api_key"] = config.api_key
    if config.base_url:
        anthropic_args["base_url"] = config.base_url
    return ModelChoice(
        cls(client_args=anthropic_args, model_id=model_id, max_tokens=MAX_TOKENS_PER_CALL),
        f"anthropic:{model_id}",
    )
