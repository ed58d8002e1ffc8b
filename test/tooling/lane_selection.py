"""A pytest plugin for test_suite_lanes.py: after collection (and after conftest.py has given each test its folder's
markers), writes every test id with the marker expressions that select it to the JSON file named by LANE_SELECTION_OUT.
The expressions (LANE_SELECTION_EXPRESSIONS, a JSON list) are evaluated as `-m` evaluates them (pytest's own
deselect_by_mark: the same expression parser and marker matcher), so one collection answers for every lane."""
from __future__ import annotations

import json
import os

import pytest
from _pytest.mark import MarkMatcher, _parse_expression


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    expressions = json.loads(os.environ["LANE_SELECTION_EXPRESSIONS"])
    parsed = {text: _parse_expression(text, "Wrong lane expression") for text in expressions}
    selection = {item.nodeid: [text for text, expression in parsed.items()
                               if expression.evaluate(MarkMatcher.from_markers(item.iter_markers()))]
                 for item in items}
    with open(os.environ["LANE_SELECTION_OUT"], "w", encoding="utf-8") as handle:
        json.dump(selection, handle)
