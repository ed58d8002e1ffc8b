"""scripts/assembly-readme.js: the README of the jsii assembly (which jsii-pacmak renders for the other languages'
packages) keeps each README.md example once, in TypeScript, for jsii-rosetta to translate; the hand-written Python
block that follows a TypeScript block in README.md stays out of it. Its effect on the wheel: test/bindings."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def without_hand_written_translations(markdown: str) -> str:
    script = "process.stdout.write(require('./scripts/assembly-readme.js').withoutHandWrittenTranslations(JSON.parse(process.argv[1])))"
    return subprocess.run(["node", "-e", script, json.dumps(markdown)], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_a_python_block_right_after_a_typescript_block_is_left_out():
    markdown = "\n".join([
        "# Title", "", "```ts fixture=standalone", "new WeatherPipeline(stack, 'Weather');", "```", "",
        "```python", 'WeatherPipeline(stack, "Weather")', "```", "", "Text after.", "",
        "```typescript", "const a = 1;", "```", "```python", "a = 1", "```", "end",
    ])
    result = without_hand_written_translations(markdown)
    assert "```python" not in result and 'WeatherPipeline(stack, "Weather")' not in result and "a = 1\n" not in result
    assert "new WeatherPipeline(stack, 'Weather');" in result and "Text after." in result and "const a = 1;" in result
    assert result.endswith("end")


def test_other_blocks_are_kept():
    markdown = "\n".join([
        "```sh", "pip install cdk-weather-pipeline", "```", "", "```python", "from x import y", "```", "",
        "```ts", "const a = 1;", "```", "", "Some text between.", "", "```python", "b = 2", "```",
    ])
    assert without_hand_written_translations(markdown) == markdown



def test_every_python_example_in_the_readme_translates_the_typescript_block_before_it():
    """A Python block separated from its TypeScript block (text put between them) would reach the packages besides
    rosetta's own translation: the wheel showed an example twice (fresh-clone CI at 028a68f)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    result = without_hand_written_translations(readme)
    assert "```python" not in result, result[result.index("```python") - 400: result.index("```python") + 200]
