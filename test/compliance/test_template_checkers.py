"""Outside checkers on the deployable templates: the examples app is synthesized once, then checked by
cfn-lint (no error, no warning), checkov (no failed check; every skip carries its reason in the template,
next to the resource) and an IAM audit of every policy in the templates.

cfn-lint and checkov run from their own virtualenv (.venv-checkers, requirements-checkers.txt): checkov pins a
boto3 that conflicts with moto in .venv.
"""
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKERS_BIN = ROOT / ".venv-checkers" / "bin"


# The examples app adds its QuickSight stack when given a QuickSight principal to own the dashboard.
QUICKSIGHT_OWNER = "arn:aws:quicksight:us-east-1:123456789012:user/default/weather-analyst"


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict:
    """The examples app's stacks, QuickSight stack included, synthesized with no AWS credentials:
    {stack name: template path}."""
    out = tmp_path_factory.mktemp("cdk.out")
    # Type-checking is the jsii compile's and eslint's job: the app of examples/cdk.json is loaded as the local run
    # loads it, each module transpiled by esbuild (examples/local-run/ts-register.js; ts-node even with
    # TS_NODE_TRANSPILE_ONLY: ~2 s more CPU), the same templates.
    app = shlex.join(["node", "-r", str(ROOT / "examples" / "local-run" / "ts-register.js"), "app.ts"])
    env = {**os.environ, "CDK_DISABLE_VERSION_CHECK": "1"}
    synth = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--app", app, "--output", str(out),
         "--context", f"quickSightOwnerArn={QUICKSIGHT_OWNER}"],
        cwd=ROOT / "examples", env=env, capture_output=True, text=True,
    )
    assert synth.returncode == 0, synth.stderr[-4000:]
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {
        name: out / artifact["properties"]["templateFile"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert set(stacks) == {"WeatherPipeline", "WeatherPipelineByHand", "WeatherPipelineQuickSight"}
    return stacks


@pytest.fixture(scope="module")
def checkers() -> Path:
    """The checkers' virtualenv, (re)installed only when requirements-checkers.txt changed."""
    subprocess.run([str(ROOT / "scripts" / "python-env"), ".venv-checkers", "requirements-checkers.txt"], cwd=ROOT, check=True)
    return CHECKERS_BIN


def test_cfn_lint_finds_no_error_and_no_warning(templates, checkers):
    run = subprocess.run(
        [str(checkers / "cfn-lint"), "--format", "json", *map(str, templates.values())],
        capture_output=True, text=True,
    )
    matches = json.loads(run.stdout or "[]")
    findings = [
        f"{m['Level']} {m['Rule']['Id']} {Path(m['Location']['Path'] and m['Filename']).name}: "
        f"{'/'.join(map(str, m['Location']['Path']))}: {m['Message']}"
        for m in matches
    ]
    assert findings == [], "\n".join(findings)
    assert run.returncode == 0, run.stderr


def test_checkov_has_no_failed_check_and_every_skip_has_a_reason(templates, checkers):
    files = [arg for path in templates.values() for arg in ("--file", str(path))]
    run = subprocess.run(
        [str(checkers / "checkov"), *files, "--framework", "cloudformation", "--output", "json", "--skip-download"],
        capture_output=True, text=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(run.stdout)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({Path(c['file_path']).name}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 200, summary  # the checks ran on both templates
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in report["results"]["skipped_checks"]
        if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < 20
    ]
    assert unexplained == [], "skips without a reason: " + ", ".join(unexplained)
    print(f"checkov: {summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped with a reason")


# ---------------------------------------------------------------------------------------------------------------
# IAM audit
# ---------------------------------------------------------------------------------------------------------------

# Actions that the AWS API authorizes on no narrower resource than "*", each with the reason.
ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "xray:PutTraceSegments": "X-Ray active tracing: X-Ray defines no resource type for PutTraceSegments.",
    "xray:PutTelemetryRecords": "X-Ray active tracing: X-Ray defines no resource type for PutTelemetryRecords.",
    "xray:GetSamplingRules": "X-Ray tracing of the state machine: sampling rules are read account-wide.",
    "xray:GetSamplingTargets": "X-Ray tracing of the state machine: sampling targets are read account-wide.",
    "cloudwatch:PutMetricData": "CloudWatch metrics have no ARN; the statement is scoped by the cloudwatch:namespace condition instead.",
    "logs:CreateLogDelivery": "Step Functions vended logs: the log delivery APIs take no resource.",
    "logs:GetLogDelivery": "Step Functions vended logs: the log delivery APIs take no resource.",
    "logs:UpdateLogDelivery": "Step Functions vended logs: the log delivery APIs take no resource.",
    "logs:DeleteLogDelivery": "Step Functions vended logs: the log delivery APIs take no resource.",
    "logs:ListLogDeliveries": "Step Functions vended logs: the log delivery APIs take no resource.",
    "logs:PutResourcePolicy": "Step Functions vended logs: CloudWatch Logs resource policies are account-wide.",
    "logs:DescribeResourcePolicies": "Step Functions vended logs: CloudWatch Logs resource policies are account-wide.",
    "logs:DescribeLogGroups": "Step Functions vended logs: DescribeLogGroups lists the account's log groups.",
}

# Which service assumes a role, by the resource (and property) that uses it.
ROLE_USERS = {
    ("AWS::Lambda::Function", "Role"): "lambda.amazonaws.com",
    ("AWS::Glue::Job", "Role"): "glue.amazonaws.com",
    ("AWS::StepFunctions::StateMachine", "RoleArn"): "states.amazonaws.com",
    ("AWS::QuickSight::DataSource", "DataSourceParameters.AthenaParameters.RoleArn"): "quicksight.amazonaws.com",
}
SCHEDULER_TARGET = ("AWS::Scheduler::Schedule", "Target.RoleArn")


def as_list(value):
    return value if isinstance(value, list) else [value]


def policy_documents(template):
    """Every policy document in the template: (logical id, kind, document)."""
    for logical_id, resource in template["Resources"].items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield logical_id, "identity", props["PolicyDocument"]
        elif kind == "AWS::IAM::Role":
            for inline in props.get("Policies", []):
                yield logical_id, "identity", inline["PolicyDocument"]
        elif kind == "AWS::KMS::Key":
            yield logical_id, "key", props["KeyPolicy"]
        elif kind in ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
            yield logical_id, "resource", props["PolicyDocument"]


def is_account_root(principal) -> bool:
    arn = json.dumps(principal.get("AWS", "")) if isinstance(principal, dict) else ""
    return arn.endswith(':root"]]}') and "AWS::AccountId" in arn


def allow_statements(templates):
    for stack, path in templates.items():
        template = json.loads(path.read_text())
        for logical_id, kind, document in policy_documents(template):
            for statement in document["Statement"]:
                if statement["Effect"] == "Allow":
                    yield stack, logical_id, kind, statement


def test_no_allow_statement_has_a_wildcard_action(templates):
    offenders = []
    accepted = 0
    for stack, logical_id, kind, statement in allow_statements(templates):
        assert "NotAction" not in statement and "NotResource" not in statement, (stack, logical_id, statement)
        wildcards = [a for a in as_list(statement["Action"]) if "*" in a]
        if not wildcards:
            continue
        # AWS's default key policy statement: it delegates the key to IAM in this account and grants nothing by
        # itself; a principal still needs an IAM policy naming KMS actions, and the identity policies here name them.
        if kind == "key" and wildcards == ["kms:*"] and is_account_root(statement["Principal"]) and "Condition" not in statement:
            accepted += 1
            continue
        offenders.append(f"{stack}/{logical_id}: {wildcards}")
    assert offenders == [], "\n".join(offenders)
    # Deny statements (s3:*, sqs:* over insecure transport) are restrictions, not grants: they are not audited here.
    print(f"IAM audit: no wildcard action; {accepted} account-root delegations in KMS key policies")


def test_a_wildcard_resource_only_where_the_api_has_no_narrower_resource(templates):
    unexplained = []
    listed = set()
    for stack, logical_id, kind, statement in allow_statements(templates):
        if "*" not in as_list(statement["Resource"]):
            continue
        if kind == "key":
            continue  # In a key policy, "*" is the key itself: a key policy cannot name another resource.
        for action in as_list(statement["Action"]):
            if action in ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS:
                listed.add(action)
            else:
                unexplained.append(f"{stack}/{logical_id}: {action} on *")
        if "cloudwatch:PutMetricData" in as_list(statement["Action"]):
            assert "cloudwatch:namespace" in json.dumps(statement.get("Condition", {})), (stack, logical_id, statement)
    assert unexplained == [], "\n".join(unexplained)
    # The list holds no stale entry: every action on it is still granted on "*" somewhere.
    assert listed == set(ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS), set(ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS) - listed


def role_references(value, found, path=""):
    """(logical id of a role, property path) for every Fn::GetAtt <role>.Arn under value."""
    if isinstance(value, dict):
        if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn":
            found.append((value["Fn::GetAtt"][0], path))
            return
        for key, child in value.items():
            role_references(child, found, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for child in value:
            role_references(child, found, path)


def test_every_role_is_assumable_only_by_the_service_that_uses_it(templates):
    for stack, path in templates.items():
        resources = json.loads(path.read_text())["Resources"]
        roles = {lid: r for lid, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
        users = {lid: set() for lid in roles}
        for lid, resource in resources.items():
            refs = []
            role_references(resource.get("Properties", {}), refs)
            for role_id, prop in refs:
                if role_id not in roles:
                    continue
                key = (resource["Type"], prop)
                if key == SCHEDULER_TARGET:
                    users[role_id].add("scheduler.amazonaws.com")
                elif key in ROLE_USERS:
                    users[role_id].add(ROLE_USERS[key])
        for role_id, role in roles.items():
            statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert len(users[role_id]) == 1, f"{stack}/{role_id} is used by {users[role_id] or 'nothing'}"
            (service,) = users[role_id]
            for statement in statements:
                assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole", (stack, role_id, statement)
                assert statement["Principal"] == {"Service": service}, (stack, role_id, statement["Principal"])
