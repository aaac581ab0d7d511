"""A quiz hint as the learner reads it: the lesson's sections named as the page shows them, each
a link to that section (``#tracker``, ``#table``…) and every "step N" a link to that row.

The lesson file's own keys (``variable_tracker``, ``execution_table``…) are internal names: a hint
must never say them (``internal_names`` finds them, for the curriculum's test).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

# The lesson page's section headings (templates/lesson.html) and their anchors.
SECTIONS = {
    "concept flow": "#flow",
    "execution sample": "#sample",
    "sample code": "#sample",
    "execution table": "#table",
    "variable tracker": "#tracker",
    "key moments": "#moments",
    "concept snapshot": "#snapshot",
    "full transcript": "#transcript",
}
INTERNAL_NAMES = (
    "concept_flow",
    "execution_sample",
    "execution_table",
    "variable_tracker",
    "key_moments",
    "quiz_questions",
    "concept_snapshot",
    "full_transcript",
)
_LINKED = re.compile(
    r"(?P<section>" + "|".join(re.escape(name) for name in SECTIONS) + r")"
    r"|\b(?P<step>steps?\s+(?P<n>\d+))",
    re.IGNORECASE,
)


class HintPart(BaseModel):
    """A piece of a hint: text, and the anchor on the lesson page it links to (if any)."""

    text: str
    href: str | None = None


def hint_parts(hint: str, steps: int) -> list[HintPart]:
    """The hint cut into text and links: a section heading links to its section, "step N" (for a
    row the lesson has) to that row of the execution table, which the stepper also opens."""
    parts: list[HintPart] = []
    at = 0
    for match in _LINKED.finditer(hint):
        if match.group("section"):
            href: str | None = SECTIONS[match.group("section").lower()]
        else:
            n = int(match.group("n"))
            href = f"#step-{n}" if 1 <= n <= steps else None
        if href is None:
            continue
        if match.start() > at:
            parts.append(HintPart(text=hint[at : match.start()]))
        parts.append(HintPart(text=match.group(0), href=href))
        at = match.end()
    if at < len(hint):
        parts.append(HintPart(text=hint[at:]))
    return parts


def internal_names(text: str) -> list[str]:
    """The lesson file's internal section names that ``text`` says."""
    lowered = text.lower()
    return [name for name in INTERNAL_NAMES if name in lowered]
