"""How long a learner waits after clicking Submit, measured in a real Chromium on an idle server.

Reported, not asserted against a time: these machines are shared and noisy. The figures (click to
the first row, click to the verdict; median and worst of several submissions) are printed and
written to artifacts/latency.json. The test does assert that every run was measured, on the same
page, with the rows and verdict a learner sees."""

from __future__ import annotations

import json
import statistics
from typing import Any

import pytest
from factories import EXERCISES
from playwright.sync_api import expect
from test_browser import base_url, chromium, page, register, settings  # noqa: F401  (fixtures)

from grader import find_exercise
from tracedojo.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUNS = 5

# Timestamps (performance.now()) of the click, the first row that settles and the verdict.
_WATCH = """() => {
  window.__latency = {};
  const run = document.querySelector('#run');
  const clicked = () => { window.__latency.click = performance.now(); };
  document.addEventListener('click', clicked, {capture: true, once: true});
  const seen = () => {
    const t = performance.now();
    if (window.__latency.click === undefined) return;
    if (window.__latency.row === undefined && run.querySelector('.run-step.passed, .run-step.failed, .run-step.error'))
      window.__latency.row = t;
    const verdict = document.querySelector('#verdict');
    if (window.__latency.verdict === undefined && verdict && /Passed|Failed/.test(verdict.textContent))
      window.__latency.verdict = t;
  };
  const all = {subtree: true, childList: true, attributes: true, characterData: true};
  new MutationObserver(seen).observe(document.body, all);
}"""


def test_click_to_first_row_and_to_verdict_is_reported(page: Any, base_url: str) -> None:
    exercise = find_exercise("echo-once", EXERCISES)
    register(page, base_url)
    page.goto(f"{base_url}/exercises/{exercise.slug}/code")
    expect(page.get_by_role("textbox", name="Your Python code")).to_be_visible()
    page.evaluate("code => window.tracedojoEditor.setValue(code)", exercise.source(exercise.reference))
    to_row: list[float] = []
    to_verdict: list[float] = []
    for _ in range(RUNS):
        page.evaluate(_WATCH)
        page.get_by_role("button", name="Submit for grading").click()
        expect(page.locator("#verdict")).to_contain_text("Passed")
        page.wait_for_function("() => window.__latency.verdict !== undefined && window.__latency.row !== undefined")
        seen = page.evaluate("window.__latency")
        assert seen["click"] <= seen["row"] <= seen["verdict"], seen
        to_row.append(seen["row"] - seen["click"])
        to_verdict.append(seen["verdict"] - seen["click"])
    figures = {
        "runs": RUNS,
        "click_to_first_row_ms": {"median": statistics.median(to_row), "worst": max(to_row)},
        "click_to_verdict_ms": {"median": statistics.median(to_verdict), "worst": max(to_verdict)},
    }
    out = PROJECT_ROOT / "artifacts" / "latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\nlatency (one learner, idle server):", json.dumps(figures))
