"""Model selection from the environment; providers are lazy and a missing extra is named."""

from __future__ import annotations

import sys

import pytest

from calledit.errors import ModelUnavailable
from calledit.providers.offline import OFFLINE_MODEL_NAME, OfflineHeuristicModel
from calledit.providers.selection import ModelConfig, select_model


def test_offline_is_the_default_outside_lambda() -> None:
    config = ModelConfig.from_env({})
    assert config.provider == "offline"
    choice = select_model(config)
    assert isinstance(choice.model, OfflineHeuristicModel)
    assert choice.label == OFFLINE_MODEL_NAME == "offline-heuristic"


def test_bedrock_is_the_default_inside_lambda() -> None:
    config = ModelConfig.from_env({"AWS_LAMBDA_FUNCTION_NAME": "worker", "AWS_REGION": "eu-west-1"})
    assert config.provider == "bedrock" and config.region == "eu-west-1"
    choice = select_model(config)
    assert choice.label == "bedrock:global.anthropic.claude-sonnet-4-6"
    assert choice.model.get_config()["model_id"] == "global.anthropic.claude-sonnet-4-6"


def test_settings_are_read() -> None:
    config = ModelConfig.from_env(
        {
            "CALLEDIT_MODEL": " OpenAI ",
            "CALLEDIT_MODEL_ID": "qwen2.5",
            "CALLEDIT_MODEL_BASE_URL": "http://127.0.0.1:8000/v1",
            "CALLEDIT_OFFLINE_DELAY_MS": "15",
        }
    )
    assert (config.provider, config.model_id, config.base_url, config.offline_delay_ms) == (
        "openai",
        "qwen2.5",
        "http://127.0.0.1:8000/v1",
        15.0,
    )


@pytest.mark.parametrize(
    ("provider", "extra", "module"),
    [
        ("openai", "openai", "openai"),
        ("ollama", "ollama", "ollama"),
        ("litellm", "litellm", "litellm"),
        ("anthropic", "anthropic", "anthropic"),
    ],
)
def test_missing_extra_gives_a_one_line_fix(
    monkeypatch: pytest.MonkeyPatch, provider: str, extra: str, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # simulate the extra not being installed
    monkeypatch.delitem(sys.modules, f"strands.models.{provider}", raising=False)
    with pytest.raises(ModelUnavailable) as info:
        select_model(ModelConfig(provider=provider))
    message = info.value.message
    assert f"pip install 'calledit[{extra}]'" in message and "\n" not in message
    assert info.value.code == "model_unavailable"


@pytest.mark.parametrize("env", [{"CALLEDIT_MODEL": "gpt-7"}, {"CALLEDIT_OFFLINE_DELAY_MS": "soon"}])
def test_bad_configuration_is_explained(env: dict[str, str]) -> None:
    with pytest.raises(ModelUnavailable):
        ModelConfig.from_env(env)


def test_importing_the_selector_does_not_import_providers() -> None:
    import subprocess

    code = (
        "import sys, calledit.providers.selection, calledit.analysis, calledit.ws.worker;"
        "heavy=('strands.models.bedrock','openai','litellm','ollama','anthropic');"
        "bad=[m for m in sys.modules if m.startswith(heavy)];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
