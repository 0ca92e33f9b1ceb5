"""template.yaml keeps the properties a real deployment depends on (read with the local stack's reader)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from calledit.local.issuer import MIN_PASSWORD_LENGTH
from calledit.local.template import load_yaml, read_template

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
RAW = load_yaml(TEMPLATE)
RESOURCES: dict[str, Any] = RAW["Resources"]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in RESOURCES.items() if res["Type"] == kind}


FUNCTIONS = of_type("AWS::Serverless::Function")


def api_events() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (fn, event["Properties"]["Path"], event["Properties"])
        for fn, res in FUNCTIONS.items()
        for event in res["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    ]


def test_every_rest_path_answers_its_browser_preflight() -> None:
    """API Gateway matches explicit paths before /{proxy+}: each path needs its own OPTIONS route,
    unauthenticated (browsers send no token on a preflight), answered by the function's CORS."""
    navigation = {"/r/{token}"}  # a page people open by link (via CloudFront), never fetched cross-origin
    paths = {path for _, path, _ in api_events()} - navigation
    preflights = {path: props for _, path, props in api_events() if props["Method"].lower() == "options"}
    assert paths == set(preflights), f"no preflight for {sorted(paths - set(preflights))}"
    for path, props in preflights.items():
        assert props.get("Auth", {}).get("Authorizer") == "NONE", path
    api = RESOURCES["PredictionsApi"]["Properties"]
    assert api["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False


def test_the_api_function_answers_every_preflight_for_allowed_origins_only(aws: dict[str, str]) -> None:
    from calledit.api.app import handle, reset_apps

    reset_apps()
    for _, path, props in api_events():
        if props["Method"].lower() != "options":
            continue
        concrete = path.replace("{id}", "0b7e1f6a-5d38-4a4e-9b1e-0c9b8f0e2a11")
        for origin, allowed in (("http://127.0.0.1:3001", True), ("https://evil.example", False)):
            event = {
                "resource": path,
                "path": concrete,
                "httpMethod": "OPTIONS",
                "headers": {"Origin": origin, "Access-Control-Request-Method": "POST"},
                "multiValueHeaders": {},
                "queryStringParameters": None,
                "multiValueQueryStringParameters": None,
                "pathParameters": None,
                "body": None,
                "isBase64Encoded": False,
                "requestContext": {"httpMethod": "OPTIONS", "resourcePath": path, "stage": "prod"},
            }
            response = handle(event, None)
            multi = response.get("multiValueHeaders") or {}
            headers = {k.lower(): ",".join(v) for k, v in multi.items()}
            assert response["statusCode"] == 204, (path, response)
            assert (headers.get("access-control-allow-origin") == origin) is allowed, (path, origin, headers)
            assert headers.get("access-control-allow-origin") != "*"


def test_gateway_errors_carry_cors_headers_for_the_apps_origin() -> None:
    responses = RESOURCES["PredictionsApi"]["Properties"]["GatewayResponses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        origin = responses[kind]["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"]
        assert "Distribution.DomainName" in str(origin) and "*" not in str(origin), kind


def test_every_websocket_route_is_deployed_to_the_stage() -> None:
    """A fixed Deployment never picks up later route changes; AutoDeploy (or a deployment that
    depends on every route) does."""
    routes = set(of_type("AWS::ApiGatewayV2::Route"))
    stages = of_type("AWS::ApiGatewayV2::Stage")
    assert len(stages) == 1
    stage = next(iter(stages.values()))
    if stage["Properties"].get("AutoDeploy") is not True:
        deployments = of_type("AWS::ApiGatewayV2::Deployment")
        covered = set().union(*(set(d.get("DependsOn", [])) for d in deployments.values()))
        assert routes <= covered, f"routes not in any deployment: {sorted(routes - covered)}"
    assert routes <= set(stage.get("DependsOn", [])), "the stage must be created after every route"
    local = read_template(TEMPLATE)
    assert set(local.ws_routes) == {RESOURCES[r]["Properties"]["RouteKey"] for r in routes}


def test_cors_origins_default_to_the_cloudfront_domain_and_never_allow_any() -> None:
    env = RAW["Globals"]["Function"]["Environment"]["Variables"]["ALLOWED_ORIGINS"]
    assert "Distribution.DomainName" in str(env)
    pattern = RAW["Parameters"]["ExtraAllowedOrigins"]["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "http://localhost:5173,https://a.example")
    for bad in ("*", "https://*.example", "http://a.example,*", "null"):
        assert not re.fullmatch(pattern, bad), bad


def test_every_function_logs_to_a_group_with_retention() -> None:
    groups = of_type("AWS::Logs::LogGroup")
    for name, fn in FUNCTIONS.items():
        ref = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert ref in groups, name
        assert groups[ref]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_least_privilege_no_scan_no_batch_no_wildcard_models() -> None:
    for name, fn in FUNCTIONS.items():
        for policy in fn["Properties"].get("Policies", []):
            assert "DynamoDBCrudPolicy" not in policy, f"{name}: CRUD policies grant Scan and BatchWrite"
            for statement in policy.get("Statement", []):
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                assert not any(
                    a in ("dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:*") for a in actions
                )
                if any(a.startswith("bedrock:") for a in actions):
                    for resource in statement["Resource"]:
                        text = str(resource)
                        assert "foundation-model/*" not in text and "inference-profile/*" not in text, text


def test_the_worker_is_capped_has_a_dead_letter_destination_and_snapstart() -> None:
    worker = FUNCTIONS["StreamWorkerFunction"]["Properties"]
    assert worker["ReservedConcurrentExecutions"] == {"Ref": "WorkerConcurrency"}
    assert worker["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    assert worker["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    for name in ("StreamWorkerFunction", "PredictionsFunction"):
        props = FUNCTIONS[name]["Properties"]
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"} and props["AutoPublishAlias"]
    # The worker is invoked through its alias: SnapStart only serves published versions.
    actions_env = FUNCTIONS["WsActionsFunction"]["Properties"]["Environment"]["Variables"]
    assert actions_env["STREAM_WORKER_FUNCTION"] == {"Ref": "StreamWorkerFunction.Alias"}
    run_timeout = float(worker["Environment"]["Variables"]["CALLEDIT_RUN_TIMEOUT_S"])
    assert run_timeout < worker["Timeout"]


def test_data_is_protected_and_passwords_match_the_local_issuer() -> None:
    pool = RESOURCES["UserPool"]
    assert pool["DeletionPolicy"] == "Retain" and pool["Properties"]["DeletionProtection"] == "ACTIVE"
    minimum = pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"]
    assert minimum >= 12 and minimum == MIN_PASSWORD_LENGTH
    predictions = RESOURCES["PredictionsTable"]
    assert predictions["DeletionPolicy"] == "Retain"
    assert predictions["Properties"]["DeletionProtectionEnabled"] is True


def test_the_frontend_is_private_behind_cloudfront_with_https_and_security_headers() -> None:
    bucket = RESOURCES["FrontendBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    config = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Origins"][0]["OriginAccessControlId"]
    headers = RESOURCES["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]
    assert {"StrictTransportSecurity", "ContentTypeOptions", "FrameOptions", "ContentSecurityPolicy"} <= set(
        headers
    )
    csp = str(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("output", ["AppUrl", "AppConfig", "FrontendBucketName", "DistributionId"])
def test_deploy_outputs_exist(output: str) -> None:
    assert output in RAW["Outputs"]
