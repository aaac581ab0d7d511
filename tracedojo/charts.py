"""Server-rendered SVG charts for the instructor dashboard (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup, escape

from tracedojo.exercise_stats import QuestionStats, StepStats


class Tone(StrEnum):
    TROUBLE = "trouble"  # the worst bar: where most learners get stuck
    WRONG = "wrong"
    RIGHT = "right"
    NEUTRAL = "neutral"


_FILL = {Tone.TROUBLE: "#e03131", Tone.WRONG: "#ff8787", Tone.RIGHT: "#40c057", Tone.NEUTRAL: "#91a7ff"}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    tone: Tone = Tone.NEUTRAL
    detail: str = ""  # shown as the bar's tooltip
    key: str = ""  # a data-key attribute, for tests and scripts


WIDTH = 760
LABEL_WIDTH = 330
ROW_HEIGHT = 30
BAR_HEIGHT = 18
LABEL_CHARS = 46


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: list[Bar], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, one per row, labelled on the left, the count at the end; an accessible SVG."""
    top = 8
    height = top * 2 + ROW_HEIGHT * max(len(bars), 1)
    room = WIDTH - LABEL_WIDTH - 60
    most = max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = top + i * ROW_HEIGHT
        middle = y + ROW_HEIGHT / 2
        length = round(room * bar.value / most, 1)
        count = f"{bar.value}{(' ' + unit) if unit else ''}"
        tooltip = escape(bar.label + (f" — {bar.detail}" if bar.detail else ""))
        parts.append(f'<g class="bar {bar.tone}" data-key="{escape(bar.key)}" data-value="{bar.value}">')
        parts.append(f"<title>{tooltip}</title>")
        parts.append(
            f'<text x="{LABEL_WIDTH - 10}" y="{middle}" text-anchor="end" dominant-baseline="middle" '
            f'font-size="13" fill="#1d2433">{escape(_short(bar.label))}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{middle - BAR_HEIGHT / 2}" width="{room}" height="{BAR_HEIGHT}" rx="4" '
            'fill="#f1f3f5"/>'
        )
        if bar.value:
            parts.append(
                f'<rect class="value" x="{LABEL_WIDTH}" y="{middle - BAR_HEIGHT / 2}" width="{max(length, 3)}" '
                f'height="{BAR_HEIGHT}" rx="4" fill="{_FILL[bar.tone]}"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + max(length, 3) + 8}" y="{middle}" dominant-baseline="middle" font-size="13" '
            f'font-weight="700" fill="#1d2433">{escape(count)}</text>'
        )
        parts.append("</g>")
    if not bars:
        parts.append(f'<text x="10" y="{top + ROW_HEIGHT / 2}" font-size="13" fill="#5f6b7f">No data yet.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stuck_steps_chart(steps: list[StepStats]) -> Markup:
    """A bar per trace row: how many submissions failed there first; the worst row stands out."""
    worst = max((s.failed_first for s in steps), default=0)
    bars = [
        Bar(
            label=f"{s.n}. {s.action}",
            value=s.failed_first,
            tone=Tone.TROUBLE if worst and s.failed_first == worst else Tone.WRONG,
            detail=_replies(s),
            key=str(s.n),
        )
        for s in steps
    ]
    return bar_chart(bars, title="Submissions that failed first at each step of the trace")


def _replies(step: StepStats) -> str:
    if not step.wrong_replies:
        return f"expected: {step.expected}"
    common = "; ".join(f"{r.actual} (×{r.count})" for r in step.wrong_replies)
    return f"expected: {step.expected}; most common instead: {common}"


def quiz_choices_chart(question: QuestionStats, choices: dict[str, str]) -> Markup:
    """How often each choice was picked (every attempt); the right one in green."""
    bars = [
        Bar(
            label=f"{letter}. {choices.get(letter, '')}",
            value=count,
            tone=Tone.RIGHT if letter == question.answer else Tone.WRONG,
            detail="the right answer" if letter == question.answer else "a wrong choice",
            key=letter,
        )
        for letter, count in question.choices.items()
    ]
    return bar_chart(bars, title=f"Choices picked for: {question.prompt}")
