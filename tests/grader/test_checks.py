"""The check vocabulary's names, models and the runner's dispatch agree."""

from __future__ import annotations

import inspect
from typing import get_args

from grader import checks, runner


def test_every_action_model_has_its_kind_listed_once() -> None:
    kinds = [model.model_fields["kind"].default for model in get_args(checks.Action)]
    assert tuple(kinds) == checks.ACTION_NAMES
    assert len(set(kinds)) == len(kinds)


def test_the_runner_handles_every_action_model() -> None:
    source = inspect.getsource(runner.TraceRun._perform)
    for model in get_args(checks.Action):
        assert f"case checks.{model.__name__}():" in source


def test_the_scalar_shorthand_names_real_fields() -> None:
    by_kind = {model.model_fields["kind"].default: model for model in get_args(checks.Action)}
    for kind, field in checks._SCALAR_FIELD.items():
        model = by_kind[kind]
        names = {name for name in model.model_fields} | {f.alias for f in model.model_fields.values() if f.alias}
        assert field in names, (kind, field)
