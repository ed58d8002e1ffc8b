"""`npx projen rosetta` compiles the README's and the @example blocks' code only when what it reads changed since its
last passing run (scripts/rosetta-is-stale, scripts/rosetta-digest.js). Checked on a copy of the files it reads, in a
folder of its own: the repository's assembly and outputs are never touched (other lanes read them)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assembly() -> dict:
    """The compiled assembly when there is one (after `npx projen compile`), else a small one of the same shape."""
    built = ROOT / ".jsii"
    if built.exists():
        return json.loads(built.read_text(encoding="utf-8"))
    return {"name": "cdk-weather-pipeline", "readme": {"markdown": "# Title\n\n```ts\nnew Pipeline(this, 'P');\n```\n"},
            "types": {"cdk-weather-pipeline.City": {"docs": {"example": "City.of('Győr', 47.68, 17.63);"}}}}


def a_copy(tmp_path: Path) -> Path:
    """The scripts and everything the digest reads, under `tmp_path`; the outputs of a passing run, recorded."""
    for script in ("rosetta-is-stale", "rosetta-digest.js", "inputs-digest.js"):
        (tmp_path / "scripts").mkdir(exist_ok=True)
        shutil.copy2(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    shutil.copytree(ROOT / "rosetta", tmp_path / "rosetta")
    for file in ("package-lock.json", ".projen/tasks.json", "node_modules/jsii-rosetta/package.json"):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / file, tmp_path / file)
    (tmp_path / ".jsii").write_text(json.dumps(assembly()), encoding="utf-8")
    (tmp_path / "dist" / "rosetta").mkdir(parents=True)
    (tmp_path / "dist" / "rosetta" / "tablet.json").write_text("{}")
    (tmp_path / ".jsii.tabl.json").write_text("{}")
    return tmp_path


def stale(root: Path) -> bool:
    done = subprocess.run([str(root / "scripts" / "rosetta-is-stale")], cwd=root, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def record(root: Path) -> None:
    subprocess.run([str(root / "scripts" / "rosetta-is-stale"), "--record"], cwd=root, check=True)


def test_the_rosetta_task_runs_only_when_stale_and_records_after_compiling():
    task = json.loads((ROOT / ".projen" / "tasks.json").read_text())["tasks"]["rosetta"]
    assert task["condition"] == "scripts/rosetta-is-stale"
    assert [step["exec"] for step in task["steps"]] == [
        "jsii-rosetta extract --strict --fail --compile --output dist/rosetta/tablet.json .jsii",
        "scripts/rosetta-is-stale --record"]


def test_nothing_recorded_or_an_output_missing_is_stale(tmp_path):
    root = a_copy(tmp_path)
    assert stale(root)  # never recorded (a fresh clone, or the last run failed before recording)
    record(root)
    assert not stale(root)
    for output in ("dist/rosetta/tablet.json", ".jsii.tabl.json"):
        saved = (root / output).read_text()
        (root / output).unlink()
        assert stale(root), output
        (root / output).write_text(saved)
    assert not stale(root)


def test_a_changed_example_fixture_package_or_step_makes_it_stale(tmp_path):
    root = a_copy(tmp_path)
    record(root)
    jsii = json.loads((root / ".jsii").read_text(encoding="utf-8"))
    with_example = next(name for name, kind in jsii["types"].items() if "example" in kind.get("docs", {}))

    def changed(path: str, edit) -> bool:
        original = (root / path).read_text(encoding="utf-8")
        (root / path).write_text(edit(original), encoding="utf-8")
        try:
            return stale(root)
        finally:
            (root / path).write_text(original, encoding="utf-8")
            assert not stale(root), path

    def one_example_changed(text: str) -> str:
        changed_jsii = json.loads(text)
        changed_jsii["types"][with_example]["docs"]["example"] += "\n// one more line"
        return json.dumps(changed_jsii)

    assert changed(".jsii", one_example_changed)
    assert changed(".jsii", lambda text: text.replace("```ts", "```ts\n// a README example changed", 1))
    assert changed("rosetta/default.ts-fixture", lambda text: text + "\n// fixture changed\n")
    assert changed("node_modules/jsii-rosetta/package.json", lambda text: text.replace('"version"', '"version" ', 1))

    def one_step_changed(text: str) -> str:
        tasks = json.loads(text)
        tasks["tasks"]["rosetta"]["steps"][0]["exec"] += " --loose"
        return json.dumps(tasks)

    assert changed(".projen/tasks.json", one_step_changed)
