from __future__ import annotations

import shutil
from pathlib import Path

from factories import EXERCISES

from tracedojo.lessons import Catalog, lesson_of


def test_public_lesson_never_carries_answers_or_checks() -> None:
    catalog = Catalog.load(EXERCISES)
    assert catalog.get("echo-once") is not None
    for exercise in catalog:
        lesson = lesson_of(exercise)
        dumped = lesson.model_dump_json()
        for question in exercise.quiz:
            assert question.explanation not in dumped and question.hint not in dumped
        assert '"check"' not in dumped
        assert '"answer"' not in lesson.model_dump_json(exclude={"key_moments"})
        assert all(set(q.model_dump()) == {"id", "prompt", "choices"} for q in lesson.quiz)


def test_a_broken_exercise_is_left_out_and_reported(tmp_path: Path) -> None:
    shutil.copytree(EXERCISES / "echo-once", tmp_path / "echo-once")
    broken = tmp_path / "broken-one"
    broken.mkdir()
    (broken / "exercise.yaml").write_text("title: [unclosed\n")
    catalog = Catalog.load(tmp_path)
    assert [e.slug for e in catalog] == ["echo-once"]
    assert len(catalog.problems) == 1 and "broken-one" in str(catalog.problems[0])
    assert Catalog.load(tmp_path / "missing").exercises == []


def test_next_exercise_in_curriculum_order() -> None:
    catalog = Catalog.load(EXERCISES)
    slugs = [e.slug for e in catalog]
    assert catalog.after(slugs[0]) is catalog.get(slugs[1])
    assert catalog.after(slugs[-1]) is None
    assert catalog.after("unknown") is None


def test_current_picks_up_an_edited_exercise_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    shutil.copytree(EXERCISES / "echo-once", tmp_path / "echo-once")
    data_file = tmp_path / "echo-once" / "exercise.yaml"
    catalog = Catalog.load(tmp_path)
    before = catalog.current("echo-once")
    assert before is not None and catalog.current("echo-once") is before  # unchanged: no re-read

    data_file.write_text(data_file.read_text().replace("Message text was: {data}", "You said: {data}"))
    edited = catalog.current("echo-once")
    assert edited is not None and edited.version != before.version
    assert "You said: {data}" in edited.model_dump_json()

    data_file.write_text("title: [unclosed\n")
    assert catalog.current("echo-once") is edited  # broken now: the last good version is graded
    assert catalog.current("nope") is None
