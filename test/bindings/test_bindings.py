"""The language bindings, used for real: the packages jsii-pacmak builds (`npx projen package:bindings`, run by the
test command before pytest) synthesize the full WeatherPipeline for three cities from another language, and the
template has the facts the TypeScript tests assert (test/pipeline/weather-pipeline.test.ts). One helper,
assert_weather_pipeline, checks the template of every language.

Python: the wheel in a virtualenv of its own (.venv-binding) with aws-cdk-lib from PyPI.
Java: the jar (dist/java) in a Maven app (test/bindings/java) with aws-cdk-lib from Maven Central; Maven downloads what
it needs into ~/.m2/repository (or the local repository MAVEN_OPTS names with -Dmaven.repo.local=). Maven and its
Java compiler are the project's own (scripts/build_tools.py, installed into .tools/), not the machine's.
Both use aws-cdk-lib at the version the library is built against (package.json).
"""
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_tools  # noqa: E402

PYTHON_APP = Path(__file__).resolve().parent / "python"
JAVA_APP = Path(__file__).resolve().parent / "java"
VENV_PYTHON = ROOT / ".venv-binding" / "bin" / "python"
# The app runs with the environment of the README commands (scripts/runtime-env), whose switches silence the jsii
# runtime's Node.js support banner; test_python_binding_synthesizes_quietly checks that nothing else is printed.
APP_ENV = dict(os.environ)
CDK_VERSION = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk-lib"]

# The cities each app synthesizes the pipeline for: (display name, slug).
PYTHON_CITIES = [("Paris", "paris"), ("Marseille", "marseille"), ("Saint-Étienne", "saint-etienne")]
JAVA_CITIES = [("Paris", "paris"), ("Marseille", "marseille"), ("Nice", "nice")]


def embedded_assembly(archive_path: Path) -> bytes:
    """The jsii assembly (.jsii) inside a wheel or a jar: both hold the npm package as a .jsii.tgz."""
    with zipfile.ZipFile(archive_path) as archive:
        tarball = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(tarball))) as npm_package:
            return npm_package.extractfile("package/.jsii").read()


def built_package(pattern: str, archive_suffix: str = "") -> Path:
    """The package in dist/ matching `pattern`; it holds the library as compiled now (package:bindings rebuilds it only
    when its inputs changed, test/bindings/bindings-are-stale)."""
    found = sorted((ROOT / "dist").glob(pattern))
    assert found, f"no dist/{pattern}: run `npx projen package:bindings` (jsii-pacmak) first"
    package = found[-1]
    archive = package.with_suffix(archive_suffix) if archive_suffix else package
    assert embedded_assembly(archive) == (ROOT / ".jsii").read_bytes(), (
        f"{archive.name} holds another jsii assembly than .jsii: run `npx projen package:bindings` again"
    )
    return package


@pytest.fixture(scope="module")
def python_synth(tmp_path_factory):
    """The template the Python app synthesizes, and its cloud assembly directory."""
    wheel = built_package("python/cdk_weather_pipeline-*.whl")
    # aws-cdk-lib and friends are installed once per requirements change; the wheel on every run (it is 1 MB), as a
    # user installs it: pip resolves its dependencies (already there, at the pinned versions, so nothing is fetched).
    subprocess.run([str(ROOT / "scripts" / "python-env"), ".venv-binding", "test/bindings/python/requirements.txt"], cwd=ROOT, check=True)
    pip = [str(VENV_PYTHON), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "uninstall", "--yes", "cdk-weather-pipeline"], check=True)
    subprocess.run([*pip, "install", str(wheel)], check=True)
    subprocess.run([*pip, "check"], check=True)
    out = tmp_path_factory.mktemp("python-binding")
    run = subprocess.run([str(VENV_PYTHON), "app.py", str(out)], cwd=PYTHON_APP, env=APP_ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-6000:]
    return json.loads((out / "WeatherPipelinePython.template.json").read_text()), out, run.stderr


MAVEN_TEST_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def maven_local_repository() -> Path:
    """Maven's local repository: the one MAVEN_OPTS names with -Dmaven.repo.local=, else ~/.m2/repository."""
    named = re.search(r"-Dmaven\.repo\.local=(\S+)", os.environ.get("MAVEN_OPTS", ""))
    return Path(named.group(1)) if named else Path.home() / ".m2" / "repository"


@pytest.fixture(scope="module")
def java_synth(tmp_path_factory):
    """The template the Java app synthesizes, and its cloud assembly directory."""
    pom = built_package("java/io/github/cdk-weather-pipeline/cdk-weather-pipeline/*/cdk-weather-pipeline-*.pom", ".jar")
    jar = pom.with_suffix(".jar")
    assert jar.is_file(), jar
    build = tmp_path_factory.mktemp("java-build")
    out = build / "cdk.out"
    mvn = [
        "mvn", "-q", "-B", "-f", str(JAVA_APP / "pom.xml"),
        f"-Dweather-pipeline.version={pom.parent.name}", f"-Dweather-pipeline.jar={jar}", f"-Dweather-pipeline.pom={pom}",
        f"-Daws-cdk-lib.version={CDK_VERSION}", f"-Dbuild.dir={build}", f"-Doutdir={out}",
    ]
    # The jar goes into the Maven local repository first (unless the very same jar and pom are there already: a Maven
    # run less), then the app is compiled and run (exec:exec).
    maven_env = {**APP_ENV, **build_tools.environment()}
    # Maven's own JVM runs for seconds: C1 only and the serial collector, as the Spark tests' drivers (~3 s of CPU less
    # for the two Maven runs, 16.0 -> 13.1 s for this fixture); MAVEN_OPTS already set come after, and win.
    maven_env["MAVEN_OPTS"] = f"{MAVEN_TEST_OPTS} {maven_env.get('MAVEN_OPTS', '')}".strip()
    installed = maven_local_repository() / "io/github/cdk-weather-pipeline/cdk-weather-pipeline" / pom.parent.name
    if not all((installed / f.name).is_file() and (installed / f.name).read_bytes() == f.read_bytes() for f in (jar, pom)):
        install = subprocess.run([*mvn, "install:install-file"], env=maven_env, capture_output=True, text=True)
        assert install.returncode == 0, (install.stdout[-6000:], install.stderr[-6000:])
    run = subprocess.run([*mvn, "compile", "exec:exec"], env=maven_env, capture_output=True, text=True)
    assert run.returncode == 0, (run.stdout[-6000:], run.stderr[-6000:])
    return json.loads((out / "WeatherPipelineJava.template.json").read_text()), out


def of_type(template: dict, kind: str) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict, kind: str) -> dict:
    resources = of_type(template, kind)
    assert len(resources) == 1, (kind, list(resources))
    return next(iter(resources.values()))


def assert_weather_pipeline(template: dict, assembly: Path, cities: list[tuple[str, str]]) -> None:
    """What test/pipeline/weather-pipeline.test.ts asserts, checked on a template synthesized from another language
    for `cities`, (display name, slug) pairs in the order the app gives them."""
    counts = {kind: len(of_type(template, kind)) for kind in (
        "AWS::S3::Bucket", "AWS::Glue::Job", "AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup",
        "AWS::StepFunctions::StateMachine", "AWS::SNS::Topic", "AWS::Scheduler::Schedule",
    )}
    assert counts == {
        "AWS::S3::Bucket": 4, "AWS::Glue::Job": 1, "AWS::Glue::Database": 1, "AWS::Glue::Table": 4,
        "AWS::Athena::WorkGroup": 1, "AWS::StepFunctions::StateMachine": 1, "AWS::SNS::Topic": 1,
        "AWS::Scheduler::Schedule": 1,
    }

    # Every bucket is encrypted, private and kept; the two data zones and the Athena results use KMS, the access-log
    # bucket SSE-S3 (the only encryption S3 server access log delivery accepts).
    buckets = of_type(template, "AWS::S3::Bucket")
    algorithms = sorted(
        b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        for b in buckets.values()
    )
    assert algorithms == ["AES256", "aws:kms", "aws:kms", "aws:kms"]
    for bucket in buckets.values():
        assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
        assert bucket["DeletionPolicy"] == "Retain"

    # The Glue job: Glue 5.1 PySpark, wired to the landing and refined buckets.
    job = only(template, "AWS::Glue::Job")["Properties"]
    assert job["GlueVersion"] == "5.1" and job["Command"]["Name"] == "glueetl"
    assert job["DefaultArguments"]["--landing_uri"]["Fn::Join"][1][0] == "s3://"
    assert job["DefaultArguments"]["--refined_uri"]["Fn::Join"][1][0] == "s3://"

    # The catalog: the four zones' tables (refined hourly, quarantine, and since issue #18 staging and curated daily).
    tables = sorted(t["Properties"]["TableInput"]["Name"] for t in of_type(template, "AWS::Glue::Table").values())
    assert tables == ["daily", "hourly", "quarantine", "staging"], tables
    # City partitions projected from the slugs; an Athena engine v3 workgroup that enforces its settings.
    projected = [t["Properties"]["TableInput"]["Parameters"].get("projection.city.values") for t in of_type(template, "AWS::Glue::Table").values()]
    assert ",".join(slug for _, slug in cities) in projected, projected
    workgroup = only(template, "AWS::Athena::WorkGroup")["Properties"]["WorkGroupConfiguration"]
    assert workgroup["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
    assert workgroup["EnforceWorkGroupConfiguration"] is True

    # The state machine runs the job and queries in the workgroup; the schedule starts it daily, through the run
    # starter: a function that starts the execution named after the run id.
    state_machine = only(template, "AWS::StepFunctions::StateMachine")
    definition = json.dumps(state_machine["Properties"]["DefinitionString"])
    assert "glue:startJobRun.sync" in definition and "athena:startQueryExecution" in definition
    assert state_machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
    schedule = only(template, "AWS::Scheduler::Schedule")["Properties"]
    assert schedule["ScheduleExpression"] == "cron(30 6 * * ? *)"
    starter_id, attribute = schedule["Target"]["Arn"]["Fn::GetAtt"]
    starter = template["Resources"][starter_id]
    assert starter["Type"] == "AWS::Lambda::Function" and attribute == "Arn", (starter_id, attribute)
    state_machine_id = next(iter(of_type(template, "AWS::StepFunctions::StateMachine")))
    assert starter["Properties"]["Environment"]["Variables"]["STATE_MACHINE_ARN"] == {"Ref": state_machine_id}

    # The ingestion function fetches the three cities: they ship in cities.json inside its code asset.
    ingestion = [f for f in of_type(template, "AWS::Lambda::Function").values() if "Open-Meteo" in f["Properties"].get("Description", "")]
    assert len(ingestion) == 1
    asset = assembly / f"asset.{ingestion[0]['Properties']['Code']['S3Key'].split('.')[0]}"
    text = (asset / "cities.json").read_text(encoding="utf-8")
    for name, _ in cities:
        assert name in text or json.dumps(name) in text, (name, text)

    # Least privilege: no IAM statement grants a wildcard action.
    for policy in of_type(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if "*" in a], statement


def test_the_apps_use_the_aws_cdk_lib_the_library_is_built_against():
    requirements = (PYTHON_APP / "requirements.txt").read_text()
    assert re.search(rf"^aws-cdk-lib=={re.escape(CDK_VERSION)}$", requirements, re.M), (CDK_VERSION, requirements)
    pom = (JAVA_APP / "pom.xml").read_text()
    assert f"<aws-cdk-lib.version>{CDK_VERSION}</aws-cdk-lib.version>" in pom, CDK_VERSION


def test_python_binding_synthesizes_the_pipeline_for_three_cities(python_synth):
    template, assembly, _ = python_synth
    assert_weather_pipeline(template, assembly, PYTHON_CITIES)


def test_python_binding_synthesizes_quietly(python_synth):
    """No Node.js support banner (scripts/runtime-env sets jsii's documented switches for the Node.js it runs on)."""
    _, _, stderr = python_synth
    assert "!!!!" not in stderr and "node version" not in stderr.lower() and "end-of-life" not in stderr, stderr[-3000:]


def test_the_wheel_holds_the_handler_bundles_and_the_glue_script():
    """`npx projen package:python` / `package:bindings` build the bundles and lib/ first (the `library` task): a wheel
    packed after a bare `jsii` compile had no handler bundle and failed at synth."""
    wheel = built_package("python/cdk_weather_pipeline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tarball = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(tarball))) as jsii_package:
            files = set(jsii_package.getnames())
    handlers = sorted(str(p.relative_to(ROOT / "src"))[: -len(".ts")] for p in (ROOT / "src").rglob("*.lambda.ts"))
    assert handlers, "no *.lambda.ts handler in src/"
    expected = {f"package/assets/{h}/index.js" for h in handlers} | {
        "package/lib/etl/script/weather_etl.py", "package/lib/etl/script/contract.json", "package/lib/index.js"}
    assert expected - files == set()


def test_java_binding_synthesizes_the_pipeline_for_three_cities(java_synth):
    template, assembly = java_synth
    assert_weather_pipeline(template, assembly, JAVA_CITIES)


def test_the_python_package_readme_shows_each_example_once():
    """PyPI shows the wheel's METADATA: README.md's TypeScript examples as jsii-rosetta translated them, each once. A
    hand-written Python block next to a TypeScript one (for the repository's readers) stays out of the package: it
    showed the one-liner twice."""
    wheel = built_package("python/cdk_weather_pipeline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    description = metadata.split("\n\n", 1)[1]
    one_liner = 'WeatherPipeline(stack, "Weather", cities=[City(name="Paris", latitude=48.8566, longitude=2.3522)])'
    assert description.count(one_liner) == 1, description[:4000]
    blocks = re.findall(r"^```(\S*)[^\n]*\n(.*?)^```$", description, re.M | re.S)
    languages = [language for language, _ in blocks]
    readme_examples = re.findall(r"^```(?:ts|typescript)\b", (ROOT / "README.md").read_text(), re.M)
    assert readme_examples and languages.count("python") == len(readme_examples), languages
    python = [code for language, code in blocks if language == "python"]
    assert len(set(python)) == len(python), "an example shows twice"


def test_package_bindings_builds_again_only_when_an_input_changed():
    """jsii-pacmak and the Go build run when the digest of what they build from (test/bindings/bindings-digest.js)
    differs from the one recorded after the last build, or a package is missing; the packages above were built or
    found up to date by `npx projen package:bindings`, which records the digest last."""
    steps = json.loads((ROOT / ".projen" / "tasks.json").read_text())["tasks"]["package:bindings"]["steps"]
    builds = [step for step in steps if "jsii-pacmak" in step.get("exec", "") or "build-go-module" in step.get("exec", "")]
    assert len(builds) == 2 and all(step.get("condition") == "test/bindings/bindings-are-stale" for step in builds), steps
    assert steps[-1] == {"exec": "test/bindings/bindings-are-stale --record", "condition": "test/bindings/bindings-are-stale"}

    def stale() -> bool:
        done = subprocess.run([str(ROOT / "test" / "bindings" / "bindings-are-stale")], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
        return done.returncode == 0

    stamp = ROOT / "dist" / "bindings.sha256"
    recorded = stamp.read_text()
    digest = subprocess.run(["node", str(ROOT / "test" / "bindings" / "bindings-digest.js")], capture_output=True, text=True, check=True).stdout
    assert recorded == digest and not stale()
    try:
        stamp.write_text(recorded.replace(recorded[0], "x", 1))
        assert stale()
    finally:
        stamp.write_text(recorded)
    assert not stale()
