"""Quiz hints as a learner reads them: sections named as the lesson page shows them, linked."""

from __future__ import annotations

import re

import pytest

from grader import Exercise, load_exercises
from tracedojo.hint_links import SECTIONS, HintPart, hint_parts, internal_names

EXERCISES = load_exercises()
LESSON_PAGE = (__import__("pathlib").Path(__file__).parents[2] / "templates" / "lesson.html").read_text()


def test_a_hint_links_its_sections_and_rows() -> None:
    parts = hint_parts("See the variable tracker, then steps 6-8 and step 99 of the Execution table.", 12)
    assert parts == [
        HintPart(text="See the "),
        HintPart(text="variable tracker", href="#tracker"),
        HintPart(text=", then "),
        HintPart(text="steps 6", href="#step-6"),
        HintPart(text="-8 and step 99 of the "),  # the lesson has no row 99: no link
        HintPart(text="Execution table", href="#table"),
        HintPart(text="."),
    ]
    assert "".join(p.text for p in parts).startswith("See the variable tracker")
    assert hint_parts("No section here.", 3) == [HintPart(text="No section here.")]


def test_every_linked_section_is_an_anchor_of_the_lesson_page() -> None:
    ids = set(re.findall(r'<section id="([a-z]+)"', LESSON_PAGE))
    assert {href.removeprefix("#") for href in SECTIONS.values()} <= ids


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.slug for e in EXERCISES])
def test_no_hint_says_an_internal_name_and_named_sections_are_links(exercise: Exercise) -> None:
    """Every lesson's quiz (prompt, hint, explanation) and key moments speak as the page does."""
    texts = [text for q in exercise.quiz for text in (q.prompt, q.hint, q.explanation)]
    texts += [text for m in exercise.key_moments for text in (m.question, m.answer)]
    for text in texts:
        assert internal_names(text) == [], text
    for question in exercise.quiz:
        parts = hint_parts(question.hint, len(exercise.execution_table))
        assert "".join(p.text for p in parts) == question.hint
        lowered = question.hint.lower()
        named = {href for name, href in SECTIONS.items() if name in lowered}
        assert named <= {p.href for p in parts}, question.hint


def test_the_curriculum_hints_link_somewhere() -> None:
    linked = [q.id for e in EXERCISES for q in e.quiz if any(p.href for p in hint_parts(q.hint, 20))]
    assert len(linked) >= 8, linked
