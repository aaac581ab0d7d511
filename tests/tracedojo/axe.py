"""axe-core in the browser tests: WCAG 2.2 AA checks on whatever a Playwright page shows now.

axe-core comes from npm with the front-end build (``frontend/node_modules/axe-core``); nothing is
fetched at test time. Use ``assert_accessible(page, "what the page shows")`` in any browser test,
or ``serious_violations`` to collect several pages' findings before failing once.
"""

from __future__ import annotations

from typing import Any

from tracedojo.settings import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# WCAG 2.0/2.1/2.2 A and AA, plus axe's best practices (their serious ones count too).
RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now (all impacts)."""
    assert AXE_SCRIPT.is_file(), f"{AXE_SCRIPT} is missing: run `make install` (it runs npm ci in frontend/)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not a <script> tag: the pages' Content Security
        # Policy (script-src 'self') rightly refuses inline scripts.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    results: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })",
        RUN_ONLY,
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]], where: str) -> list[str]:
    """One line per failing element: where, rule, impact, the element and axe's own summary."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(
                f"{where}: {violation['id']} ({violation['impact']}) {' '.join(node['target'])}"
                f" {node['html'][:160]!r}: {summary[:300]}"
            )
    return lines


def serious_violations(page: Any, where: str) -> list[str]:
    """The serious and critical violations on the page, described (empty when there are none)."""
    return describe([v for v in run_axe(page) if v["impact"] in FAILING_IMPACTS], where)


def assert_accessible(page: Any, where: str) -> None:
    """Fail on any serious or critical axe violation on the page as it is now."""
    found = serious_violations(page, where)
    assert not found, "axe found serious or critical violations:\n" + "\n".join(found)
