from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tracedojo.cli
from grader.loader import default_exercises_dir
from grader.results import Results, Status
from grader.sandbox import SandboxUnavailable
from tracedojo.cli import create_app

runner = CliRunner()
app = create_app(with_platform=False)
ECHO_ONCE = default_exercises_dir() / "echo-once"


def test_help_lists_the_grading_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("grade", "check", "list"):
        assert command in result.stdout


def test_list_shows_the_curriculum_in_order() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert rows[0][:2] == ["1", "echo-once"]
    assert [int(r[0]) for r in rows] == sorted(int(r[0]) for r in rows)
    echo_once = " ".join(rows[0])
    assert "WebSocket endpoint creation in FastAPI 7 3 -" in echo_once
    assert "Order" in result.stdout and "Builds on" in result.stdout


def test_list_reports_a_broken_exercise_and_still_lists_the_rest(tmp_path: Path) -> None:
    shutil.copytree(ECHO_ONCE, tmp_path / "echo-once")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "exercise.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["list"], env={"TRACEDOJO_EXERCISES_DIR": str(tmp_path), "COLUMNS": "200"})
    assert result.exit_code == 1
    assert "echo-once" in result.stdout
    assert "broken/exercise.yaml" in result.stderr and "invalid YAML" in result.stderr


def test_grade_unknown_exercise_is_a_usage_error_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["grade", "no-such-lesson", str(ECHO_ONCE / "solution.py")])
    assert result.exit_code == 2
    assert "unknown exercise 'no-such-lesson'" in result.stderr
    assert "echo-once" in result.stderr
    assert result.stdout == ""


def test_grade_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.py"
    result = runner.invoke(app, ["grade", "echo-once", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: no such file or folder" in result.stderr


def test_grade_folder_without_python_files_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no .py files" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--format", "yaml"], "--format"),
        (["--jobs", "0"], "--jobs"),
        (["--seed", "many"], "--seed"),
        (["--frobnicate"], "--frobnicate"),
    ],
)
def test_grade_bad_options_are_usage_errors(args: list[str], named: str) -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(ECHO_ONCE / "solution.py"), *args])
    assert result.exit_code == 2
    assert named in result.stderr


def test_grade_without_paths_is_a_usage_error() -> None:
    result = runner.invoke(app, ["grade", "echo-once"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_an_unavailable_sandbox_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoSandbox(tracedojo.cli.Sandbox):
        def start(self) -> tracedojo.cli.Sandbox:
            raise SandboxUnavailable("user namespaces are disabled (kernel.unprivileged_userns_clone=0)")

        def close(self) -> None:
            raise AssertionError("never started, never closed")

    monkeypatch.setattr(tracedojo.cli, "Sandbox", NoSandbox)
    result = runner.invoke(app, ["grade", "echo-once", str(ECHO_ONCE / "solution.py")])
    assert result.exit_code == 2
    assert "sandbox cannot be set up on this machine: user namespaces are disabled" in result.stderr
    assert "--no-sandbox" in result.stderr
    assert result.stdout == ""


def test_check_unknown_exercise_is_a_usage_error() -> None:
    result = runner.invoke(app, ["check", "no-such-lesson"])
    assert result.exit_code == 2
    assert "unknown exercise 'no-such-lesson'" in result.stderr


@pytest.mark.parametrize("command", ["list", "grade", "check"])
def test_grading_commands_import_no_database_or_web_modules(command: str) -> None:
    probe = (
        "import sys\n"
        "from tracedojo.cli import main\n"
        "try:\n"
        f"    main([{command!r}, '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'sqlmodel', 'sqlalchemy', 'uvicorn', 'jinja2', 'celery', 'redis', 'alembic', 'tracedojo.db'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert command in done.stdout
    assert done.stderr.strip() == "[]"


def test_the_full_command_line_has_the_platform_commands_too() -> None:
    result = runner.invoke(create_app(), ["--help"])
    assert result.exit_code == 0
    for command in ("grade", "check", "list", "serve", "users"):
        assert command in result.stdout


# End to end: the real engine in its sandbox.

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SOLUTION = ECHO_ONCE / "solution.py"
FORGOT_ACCEPT = ECHO_ONCE / "wrong" / "forgot_accept.py"


def schema(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def test_grade_the_reference_passes_with_seven_steps() -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(SOLUTION), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "passed"
    assert (document["score"], document["max_score"]) == (7.0, 7.0)
    assert [s["n"] for s in document["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert {s["status"] for s in document["steps"]} == {"passed"}


def test_grade_takes_an_exercise_folder_and_can_run_without_the_sandbox() -> None:
    result = runner.invoke(app, ["grade", str(ECHO_ONCE), str(SOLUTION), "--format", "json", "--no-sandbox"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exercise"] == "echo-once"


def test_grade_a_wrong_variant_exits_1_and_says_where_it_failed() -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(FORGOT_ACCEPT), "--format", "json", "--seed", "3"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert [s["n"] for s in document["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [s["status"] for s in document["steps"][:3]] == ["passed", "failed", "skipped"]


def test_grade_text_shows_the_table_and_summary() -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(FORGOT_ACCEPT)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "FAILED  1/7 steps" in result.stdout
    assert "Server calls websocket.accept()" in result.stdout
    assert result.stdout.rstrip().endswith("1 submission: 0 passed, 1 failed, 0 error")
    assert "\x1b[" not in result.stdout


def test_an_unloadable_submission_is_a_graded_error_not_a_usage_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def endpoint(:\n", encoding="utf-8")
    result = runner.invoke(app, ["grade", "echo-once", str(broken), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["status"] == "error"


def test_grade_a_folder_writes_json_lines_in_path_order(tmp_path: Path) -> None:
    shutil.copy(SOLUTION, tmp_path / "a_good.py")
    shutil.copy(FORGOT_ACCEPT, tmp_path / "b_wrong.py")
    (tmp_path / "c_empty.py").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["grade", "echo-once", str(tmp_path), "--format", "json", "--jobs", "2"])
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(d["submission"]).name, d["status"]) for d in lines] == [
        ("a_good.py", "passed"),
        ("b_wrong.py", "failed"),
        ("c_empty.py", "error"),
    ]


def test_grade_all_passing_batch_exits_0_with_csv(tmp_path: Path) -> None:
    for name in ("one.py", "two.py"):
        shutil.copy(SOLUTION, tmp_path / name)
    result = runner.invoke(app, ["grade", "echo-once", str(tmp_path / "one.py"), str(tmp_path / "two.py"), "-f", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("exercise,submission,status,score,max_score,failed_step")
    assert [line.split(",")[2] for line in lines[1:]] == ["passed", "passed"]


@pytest.mark.parametrize(
    ("fmt", "schema_name"),
    [("gradescope", "gradescope-results.schema.json"), ("exercism", "exercism-results-v3.schema.json")],
)
def test_autograder_formats_validate_for_real_results(fmt: str, schema_name: str) -> None:
    import jsonschema

    for path, code in ((SOLUTION, 0), (FORGOT_ACCEPT, 1)):
        result = runner.invoke(app, ["grade", "echo-once", str(path), "--format", fmt])
        assert result.exit_code == code, result.output
        jsonschema.validate(json.loads(result.stdout), schema(schema_name))


def test_exercism_test_code_shows_the_lessons_checks() -> None:
    result = runner.invoke(app, ["grade", "echo-once", str(FORGOT_ACCEPT), "--format", "exercism"])
    tests = json.loads(result.stdout)["tests"]
    assert tests[3]["test_code"].startswith("# Step 4: Client sends message 'Hello'\nclient.send_text(\"{data}\")")
    assert tests[1]["status"] == "fail" and "accept" in tests[1]["message"]


def test_check_echo_once_passes() -> None:
    result = runner.invoke(app, ["check", "echo-once"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "ok      echo-once" in result.stdout
    assert "1 exercise checked: 1 ok, 0 with problems" in result.stdout


def small_copy(tmp_path: Path, fails_at_forgot_accept: int) -> Path:
    """echo-once with only the reference and three variants, one of them declared at ``fails_at``."""
    folder = tmp_path / "echo-once"
    shutil.copytree(ECHO_ONCE, folder)
    data_file = folder / "exercise.yaml"
    text = data_file.read_text(encoding="utf-8")
    head = text[: text.index("also_correct:")]
    head += (
        "variants:\n"
        f"  - {{file: wrong/forgot_accept.py, fails_at: {fails_at_forgot_accept}, why: no accept}}\n"
        "  - {file: wrong/wrong_path.py, fails_at: 1, why: wrong path}\n"
        "  - {file: wrong/no_prefix.py, fails_at: 6, why: no prefix}\n"
    )
    data_file.write_text(head, encoding="utf-8")
    return folder


def test_check_passes_an_exercise_whose_variants_fail_where_declared(tmp_path: Path) -> None:
    folder = small_copy(tmp_path, fails_at_forgot_accept=2)
    result = runner.invoke(app, ["check", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "5/5 solutions behave as declared" in result.stdout  # with the modes' own answer


def test_check_reports_a_variant_that_fails_elsewhere(tmp_path: Path) -> None:
    folder = small_copy(tmp_path, fails_at_forgot_accept=3)
    result = runner.invoke(app, ["check", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert (
        "wrong/forgot_accept.py: must fail at step 3 but failed at step 2 (Server calls websocket.accept())"
        in result.stdout
    )


def test_check_reports_a_schema_problem(tmp_path: Path) -> None:
    folder = small_copy(tmp_path, fails_at_forgot_accept=2)
    data_file = folder / "exercise.yaml"
    data_file.write_text(data_file.read_text(encoding="utf-8").replace("order: 1", "order: first"), encoding="utf-8")
    result = runner.invoke(app, ["check", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "field order:" in result.stdout


def test_check_reports_an_unsolvable_puzzle(tmp_path: Path) -> None:
    """A sample that does not pass makes the Parsons puzzle and the blanks unsolvable: check says so."""
    folder = small_copy(tmp_path, fails_at_forgot_accept=2)
    data_file = folder / "exercise.yaml"
    text = data_file.read_text(encoding="utf-8")
    wrong = text.replace('send_text(f"Message text was: {data}")\n  caption:', 'send_text(f"Text: {data}")\n  caption:')
    assert wrong != text
    data_file.write_text(wrong, encoding="utf-8")
    result = runner.invoke(app, ["check", str(folder)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "modes: the Parsons and blanks answer (the sample's own code): must pass every step but failed at step" in (
        " ".join(result.stdout.split())
    )


@pytest.mark.parametrize(
    ("modes", "message"),
    [
        ("modes: {blank_lines: [99]}", "modes.blank_lines[0]: line 99 is not a non-blank line of the sample"),
        ("modes: {distractors: ['await websocket.accept()']}", "is a line of the sample itself"),
        ("modes: {max_distractors: 20}", "max_distractors"),
        ("modes: {blanks: [1]}", "blanks"),
    ],
)
def test_check_reports_a_bad_modes_section(tmp_path: Path, modes: str, message: str) -> None:
    folder = small_copy(tmp_path, fails_at_forgot_accept=2)
    data_file = folder / "exercise.yaml"
    data_file.write_text(data_file.read_text(encoding="utf-8") + modes + "\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(folder)], env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.stdout.split())
    assert "1 exercise checked: 0 ok, 1 with problems" in result.stdout


class FakeTTY:
    def __init__(self) -> None:
        self.written: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        return None


def test_a_batch_on_a_terminal_gets_a_progress_bar(monkeypatch: pytest.MonkeyPatch, passed_results: Results) -> None:
    terminal = FakeTTY()
    monkeypatch.setattr(sys, "stderr", terminal)
    with tracedojo.cli._progress(3, "Grading") as on_result:
        assert on_result is not None
        for _ in range(3):
            on_result(passed_results)
    drawn = "".join(terminal.written)
    assert "Grading" in drawn and "3/3" in drawn


def test_no_progress_bar_for_one_file_or_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    with tracedojo.cli._progress(1, "Grading") as on_result:
        assert on_result is None
    monkeypatch.setattr(FakeTTY, "isatty", lambda self: False)
    with tracedojo.cli._progress(5, "Grading") as on_result:
        assert on_result is None


@pytest.fixture
def passed_results() -> Results:
    return Results(exercise="echo-once", submission="a.py", status=Status.PASSED, score=7, max_score=7)
