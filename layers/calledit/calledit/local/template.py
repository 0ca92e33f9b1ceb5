"""Read template.yaml: tables, functions, WebSocket routes, REST events, queues, their triggers and
recurring schedules, with intrinsics resolved to local names (queue URLs on the local SQS endpoint)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STACK_NAME = "calledit-local"
REGION = "us-east-1"
ACCOUNT = "000000000000"


class _CfnLoader(yaml.SafeLoader):
    """CloudFormation YAML: ``!Ref x`` becomes ``{"Ref": x}``, ``!Sub s`` ``{"Fn::Sub": s}``, ..."""


def _tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return data


@dataclass(frozen=True)
class Function:
    """A Lambda function: its handler ``module.attr`` and resolved environment."""

    name: str
    handler: str
    environment: dict[str, str]
    timeout_s: int


@dataclass(frozen=True)
class RestRoute:
    """One REST API event: method, path template (``/predictions/{id}``) and the function behind it."""

    method: str
    path: str
    function: str
    authorized: bool

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters if this route serves ``method path``, else None."""
        if method.upper() != self.method:
            return None
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        m = re.fullmatch(pattern, path)
        return m.groupdict() if m else None


@dataclass(frozen=True)
class Queue:
    """An SQS queue: its local name, visibility timeout and dead-letter redrive."""

    name: str
    visibility_timeout_s: int = 30
    retention_s: int = 345_600
    dead_letter: str | None = None  # logical id of the dead-letter queue
    max_receive_count: int | None = None


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS event source mapping: the queue (logical id) that invokes a function, and how."""

    queue: str
    function: str
    batch_size: int = 10
    max_concurrency: int = 2
    report_batch_item_failures: bool = False


@dataclass(frozen=True)
class Recurring:
    """A ScheduleV2 event: the function invoked on ``expression`` (``rate(...)`` or ``cron(...)``)."""

    name: str
    function: str
    expression: str
    timezone: str = "UTC"


@dataclass
class LocalTemplate:
    """What the local stack needs from the template."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # physical name -> properties
    table_names: dict[str, str] = field(default_factory=dict)  # logical id -> physical name
    functions: dict[str, Function] = field(default_factory=dict)
    ws_routes: dict[str, str] = field(default_factory=dict)  # route key -> function
    ws_authorizer: str | None = None
    ws_identity_source: str = "token"
    route_selection: str = "$request.body.action"
    ws_stage: str = "prod"
    rest_routes: list[RestRoute] = field(default_factory=list)
    queues: dict[str, Queue] = field(default_factory=dict)  # logical id -> queue
    queue_triggers: list[QueueTrigger] = field(default_factory=list)
    recurring: list[Recurring] = field(default_factory=list)
    schedule_groups: list[str] = field(default_factory=list)


def table_name(logical_id: str) -> str:
    """The local physical name of a table."""
    return f"{STACK_NAME}-{logical_id}"


def queue_name(logical_id: str, props: dict[str, Any]) -> str:
    """The local name of a queue: its QueueName, else stack-logical id."""
    return str(props.get("QueueName") or f"{STACK_NAME}-{logical_id}")


NO_VALUE = object()  # !Ref AWS::NoValue: the property or list item is left out


class Intrinsics:
    """CloudFormation intrinsics (Ref, GetAtt, Sub, Join, Select, If and the conditions) evaluated
    against local stand-ins; subclasses say what a ``Ref`` and a ``GetAtt`` are."""

    def __init__(self, template: dict[str, Any], params: dict[str, Any], stack_name: str) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.conditions: dict[str, Any] = template.get("Conditions", {})
        self.params = params
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::StackName": stack_name,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> Any:
        raise NotImplementedError

    def get_att(self, target: str, attr: str) -> str:
        raise NotImplementedError

    def sub_value(self, key: str) -> str:
        """What ``${key}`` stands for in a ``Fn::Sub`` string (no variable map entry for it)."""
        return str(self.ref(key))

    def unsupported(self, function: str) -> None:
        """Called for an intrinsic this class does not evaluate; by default it is kept as a mapping."""

    def condition(self, name: str) -> bool:
        """A template condition (Fn::Equals / Not / And / Or / Condition), evaluated locally."""
        return self._truth(self.conditions[name])

    def _truth(self, expr: Any) -> bool:
        if isinstance(expr, dict) and "Fn::Equals" in expr:
            left, right = (self(v) for v in expr["Fn::Equals"])
            return str(left) == str(right)
        if isinstance(expr, dict) and "Fn::Not" in expr:
            return not self._truth(expr["Fn::Not"][0])
        if isinstance(expr, dict) and "Fn::And" in expr:
            return all(self._truth(e) for e in expr["Fn::And"])
        if isinstance(expr, dict) and "Fn::Or" in expr:
            return any(self._truth(e) for e in expr["Fn::Or"])
        if isinstance(expr, dict) and "Condition" in expr:
            return self.condition(expr["Condition"])
        raise ValueError(f"condition not supported locally: {expr!r}")

    def _items(self, value: Any) -> list[Any]:
        resolved = self(value)
        return resolved if isinstance(resolved, list) else str(resolved).split(",")

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            if value["Ref"] == "AWS::NoValue":
                return NO_VALUE
            return self.ref(value["Ref"])
        if "Fn::If" in value:
            name, when_true, when_false = value["Fn::If"]
            return self(when_true if self.condition(name) else when_false)
        if "Fn::GetAtt" in value:
            spec = value["Fn::GetAtt"]
            target, attr = spec if isinstance(spec, list) else spec.split(".", 1)
            return self.get_att(target, attr)
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(p) for p in self._items(parts))
        if "Fn::Select" in value:
            index, items = value["Fn::Select"]
            return self._items(items)[int(index)]
        if "Fn::Sub" in value:
            spec = value["Fn::Sub"]
            text, extra = (spec, {}) if isinstance(spec, str) else (spec[0], self(spec[1]))

            def sub(m: re.Match[str]) -> str:
                key = m.group(1)
                return str(extra[key]) if key in extra else self.sub_value(key)

            return re.sub(r"\$\{([^}!][^}]*)\}", sub, text)
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            self.unsupported(next(iter(value)))
        resolved = ((k, self(v)) for k, v in value.items())
        return {k: v for k, v in resolved if v is not NO_VALUE}


class _Resolver(Intrinsics):
    """The local stack's names: tables, queue URLs on the SQS emulator, logical ids for the rest."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str], sqs_endpoint: str) -> None:
        params = {
            name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
        } | parameters
        super().__init__(template, params, STACK_NAME)
        self.sqs_endpoint = sqs_endpoint.rstrip("/")

    def ref(self, name: str) -> str:
        name = name.removesuffix(".Alias")  # SAM's published alias: locally there is only $LATEST
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return str(self.params[name])
        res = self.resources.get(name, {})
        kind = res.get("Type")
        if kind == "AWS::DynamoDB::Table":
            return table_name(name)
        if kind == "AWS::SQS::Queue":  # a queue's Ref is its URL
            return f"{self.sqs_endpoint}/{ACCOUNT}/{queue_name(name, res.get('Properties', {}))}"
        if kind == "AWS::Scheduler::ScheduleGroup":
            return str(self(res.get("Properties", {}).get("Name", name)))
        return name  # functions, APIs, pools: the logical id is the local name

    def sub_value(self, key: str) -> str:
        return self.ref(key.split(".")[0])  # ${X.Attr} locally names X itself

    def get_att(self, target: str, attr: str) -> str:
        res = self.resources.get(target, {})
        kind = res.get("Type")
        if kind == "AWS::SQS::Queue":
            name = queue_name(target, res.get("Properties", {}))
            return name if attr == "QueueName" else f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::Serverless::Function" and attr == "Arn":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{target}"
        if kind == "AWS::IAM::Role" and attr == "Arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{target}"
        if kind == "AWS::Scheduler::ScheduleGroup" and attr == "Arn":
            return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{self.ref(target)}"
        return f"arn:aws:local:{REGION}:{ACCOUNT}:{target}/{attr}"


def read_template(
    path: Path, parameters: dict[str, str] | None = None, sqs_endpoint: str = "http://127.0.0.1/sqs"
) -> LocalTemplate:
    """Extract tables, functions, routes, queues and schedules from ``path``."""
    raw = load_yaml(path)
    resolve = _Resolver(raw, parameters or {}, sqs_endpoint)
    resources: dict[str, Any] = raw.get("Resources", {})
    glob = raw.get("Globals", {}).get("Function", {})
    out = LocalTemplate()
    integrations: dict[str, str] = {}
    for name, res in resources.items():
        kind, props = res.get("Type"), res.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            out.table_names[name] = table_name(name)
            out.tables[table_name(name)] = props
        elif kind == "AWS::Serverless::Function":
            env = {
                **resolve(glob.get("Environment", {}).get("Variables", {})),
                **resolve(props.get("Environment", {}).get("Variables", {})),
            }
            out.functions[name] = Function(
                name,
                props["Handler"],
                {k: str(v) for k, v in env.items()},
                int(props.get("Timeout", glob.get("Timeout", 3))),
            )
            for event_name, event in props.get("Events", {}).items():
                ev = event.get("Properties", {})
                if event.get("Type") == "Api":
                    auth = (ev.get("Auth") or {}).get("Authorizer")
                    out.rest_routes.append(RestRoute(ev["Method"].upper(), ev["Path"], name, auth != "NONE"))
                elif event.get("Type") == "SQS":
                    out.queue_triggers.append(_queue_trigger(ev, name))
                elif event.get("Type") == "ScheduleV2" and ev.get("State", "ENABLED") == "ENABLED":
                    out.recurring.append(
                        Recurring(
                            f"{name}-{event_name}",
                            name,
                            str(resolve(ev["ScheduleExpression"])),
                            str(ev.get("ScheduleExpressionTimezone", "UTC")),
                        )
                    )
        elif kind == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy") or {}
            dead_letter = redrive.get("deadLetterTargetArn")
            out.queues[name] = Queue(
                queue_name(name, props),
                int(props.get("VisibilityTimeout", 30)),
                int(props.get("MessageRetentionPeriod", 345_600)),
                _logical_of(dead_letter) if dead_letter else None,
                int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
            )
        elif kind == "AWS::Scheduler::ScheduleGroup":
            out.schedule_groups.append(resolve.ref(name))
        elif kind == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType") == "WEBSOCKET":
            out.route_selection = props.get("RouteSelectionExpression", out.route_selection)
        elif kind == "AWS::ApiGatewayV2::Integration":
            uri = str(resolve(props.get("IntegrationUri", "")))
            integrations[name] = _function_in(uri, resources)
        elif kind == "AWS::ApiGatewayV2::Authorizer":
            out.ws_authorizer = _function_in(str(resolve(props.get("AuthorizerUri", ""))), resources)
            sources = props.get("IdentitySource") or ["route.request.querystring.token"]
            out.ws_identity_source = str(sources[0]).rsplit(".", 1)[-1]
        elif kind == "AWS::ApiGatewayV2::Stage":
            out.ws_stage = str(resolve(props.get("StageName", out.ws_stage)))
    for res in resources.values():
        if res.get("Type") == "AWS::ApiGatewayV2::Route":
            props = res["Properties"]
            target = str(resolve(props.get("Target", ""))).removeprefix("integrations/")
            if target in integrations:
                out.ws_routes[props["RouteKey"]] = integrations[target]
    return out


def _logical_of(value: Any) -> str:
    """The logical id named by ``!GetAtt X.Arn`` / ``!Ref X``."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    raise ValueError(f"expected !GetAtt or !Ref, got {value!r}")


def _queue_trigger(props: dict[str, Any], function: str) -> QueueTrigger:
    scaling = props.get("ScalingConfig") or {}
    return QueueTrigger(
        _logical_of(props["Queue"]),
        function,
        int(props.get("BatchSize", 10)),
        int(scaling.get("MaximumConcurrency", 2)),
        "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
    )


def _function_in(uri: str, resources: dict[str, Any]) -> str:
    """The function logical id named inside an integration/authorizer URI."""
    m = re.search(r"/functions/([^/]+)/invocations", uri)
    if m is None or resources.get(m.group(1), {}).get("Type") != "AWS::Serverless::Function":
        raise ValueError(f"no function found in {uri}")
    return m.group(1)
