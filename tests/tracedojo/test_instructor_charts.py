from __future__ import annotations

import xml.etree.ElementTree as ET

from tracedojo.charts import Bar, Tone, bar_chart, quiz_choices_chart, stuck_steps_chart
from tracedojo.exercise_stats import QuestionStats, StepStats, WrongReply

SVG = "{http://www.w3.org/2000/svg}"


def _steps() -> list[StepStats]:
    return [
        StepStats(n=1, action="Client connects to /ws", expected="open", failed_first=0, learners=0, wrong_replies=[]),
        StepStats(
            n=2,
            action="Server calls websocket.accept()",
            expected="accepted",
            failed_first=2,
            learners=1,
            wrong_replies=[WrongReply(actual="closed with 1000", count=2)],
        ),
        StepStats(
            n=3,
            action="Server sends <reply> & more",
            expected="Message text was: Hello",
            failed_first=5,
            learners=4,
            wrong_replies=[WrongReply(actual="Hello", count=3), WrongReply(actual="", count=2)],
        ),
    ]


def _bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "")]


def test_stuck_chart_has_a_labelled_bar_per_trace_row_and_the_worst_stands_out() -> None:
    bars = _bars(str(stuck_steps_chart(_steps())))
    assert [b.get("data-key") for b in bars] == ["1", "2", "3"]
    assert [b.get("data-value") for b in bars] == ["0", "2", "5"]
    labels = [b.find(f"{SVG}text").text for b in bars]  # type: ignore[union-attr]
    assert labels[0] == "1. Client connects to /ws"
    assert labels[2] == "3. Server sends <reply> & more"  # escaped in the SVG, intact once parsed
    assert "trouble" in (bars[2].get("class") or "") and "trouble" not in (bars[1].get("class") or "")
    widths = [float(r.get("width", 0)) for b in bars for r in b.iter(f"{SVG}rect") if r.get("class") == "value"]
    assert len(widths) == 2 and abs(widths[1] / widths[0] - 5 / 2) < 0.01  # no bar drawn for zero
    tooltip = bars[2].find(f"{SVG}title").text or ""  # type: ignore[union-attr]
    assert "Message text was: Hello" in tooltip and "Hello (×3)" in tooltip


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip() -> None:
    label = "x" * 200
    bar = _bars(str(bar_chart([Bar(label=label, value=1, tone=Tone.NEUTRAL)], title="t")))[0]
    assert len(bar.find(f"{SVG}text").text or "") < 60  # type: ignore[union-attr]
    assert label in (bar.find(f"{SVG}title").text or "")  # type: ignore[union-attr]


def test_an_empty_chart_says_so() -> None:
    assert "No data yet." in str(bar_chart([], title="empty"))


def test_quiz_chart_marks_the_right_choice() -> None:
    question = QuestionStats(
        id="q1",
        prompt="Which?",
        answer="B",
        answers=6,
        learners=4,
        share_correct=0.5,
        first_try_share_correct=0.25,
        choices={"A": 3, "B": 3, "C": 0},
        first_choices={"A": 3, "B": 1, "C": 0},
    )
    bars = _bars(str(quiz_choices_chart(question, {"A": "accept", "B": "receive", "C": "send"})))
    assert [b.get("data-key") for b in bars] == ["A", "B", "C"]
    assert "right" in (bars[1].get("class") or "") and "wrong" in (bars[0].get("class") or "")
