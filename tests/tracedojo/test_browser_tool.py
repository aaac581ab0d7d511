"""tools/browser.py: which browser the Playwright tests use, how ``make install`` provides one, and the
one-line stop of ``make test`` when there is none."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from tracedojo.settings import PROJECT_ROOT

TOOL = PROJECT_ROOT / "tools" / "browser.py"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tracedojo_browser_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tracedojo_browser_tool"] = module
    spec.loader.exec_module(module)
    return module


browser = _load_tool()


class Recorder:
    """Stands in for subprocess: records each command, answers with the exit code it is told."""

    def __init__(self, codes: dict[str, int]) -> None:
        self.codes = codes
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str]) -> int:
        self.commands.append(list(command))
        key = "playwright" if "playwright" in command else command[0] + " " + command[1]
        return self.codes.get(key, 0)


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(browser.ENV_OVERRIDE, raising=False)
    monkeypatch.setattr(browser, "system_chromium", lambda: None)
    monkeypatch.setattr(browser, "playwright_chromium", lambda: None)


def test_override_wins_and_a_missing_override_is_no_browser(tmp_path: Path) -> None:
    fake = tmp_path / "chrome"
    fake.write_text("")
    assert browser.executable({browser.ENV_OVERRIDE: str(fake)}) == fake
    assert browser.executable({browser.ENV_OVERRIDE: str(tmp_path / "absent")}) is None


def test_debian_chromium_comes_before_playwright_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "system_chromium", lambda: tmp_path / "debian")
    monkeypatch.setattr(browser, "playwright_chromium", lambda: tmp_path / "playwright")
    assert browser.executable({}) == tmp_path / "debian"
    monkeypatch.setattr(browser, "system_chromium", lambda: None)
    assert browser.executable({}) == tmp_path / "playwright"


def test_provide_does_nothing_when_a_browser_is_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "executable", lambda: tmp_path / "chromium")
    run = Recorder({})
    lines: list[str] = []
    assert browser.provide(run=run, apt=True, out=lines.append) == tmp_path / "chromium"
    assert run.commands == []
    assert lines == [f"browser: {tmp_path / 'chromium'}"]


def test_provide_installs_debian_chromium_as_root(
    no_browser: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = Recorder({})
    installed = tmp_path / "chromium"

    def after_install() -> Path | None:
        return installed if any(c[:2] == ["apt-get", "install"] for c in run.commands) else None

    monkeypatch.setattr(browser, "system_chromium", after_install)
    lines: list[str] = []
    assert browser.provide(run=run, apt=True, out=lines.append) == installed
    assert [c[:2] for c in run.commands] == [["apt-get", "update"], ["apt-get", "install"]]
    assert "chromium" in run.commands[1]
    assert lines == [f"browser: installed Debian's chromium at {installed}"]


def test_provide_falls_back_to_playwright_when_apt_fails(
    no_browser: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = Recorder({"apt-get install": 100})
    downloaded = tmp_path / "chrome-linux" / "chrome"
    downloaded_yet = lambda: bool(run.commands) and "playwright" in run.commands[-1]  # noqa: E731
    monkeypatch.setattr(browser, "playwright_chromium", lambda: downloaded if downloaded_yet() else None)
    lines: list[str] = []
    assert browser.provide(run=run, apt=True, out=lines.append) == downloaded
    assert run.commands[-1] == [sys.executable, "-m", "playwright", "install", "chromium"]
    assert lines == [f"browser: downloaded Playwright's Chromium to {downloaded}"]


def test_provide_without_root_goes_straight_to_playwright_and_warns_when_that_fails(no_browser: None) -> None:
    run = Recorder({"playwright": 1})
    lines: list[str] = []
    assert browser.provide(run=run, apt=False, out=lines.append) is None
    assert [c[0] for c in run.commands] == [sys.executable]
    assert lines == [f"warning: {browser.WHAT_TO_INSTALL}"]


def test_check_without_a_browser_is_one_line_naming_what_to_install(no_browser: None) -> None:
    lines: list[str] = []
    assert browser.check(out=lines.append) == 1
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "apt-get install chromium" in lines[0] and "playwright install" in lines[0]


def test_check_names_a_browser_that_does_not_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv(browser.ENV_OVERRIDE, str(broken))
    lines: list[str] = []
    assert browser.check(out=lines.append) == 1
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith(f"error: {broken} does not start")


def test_check_as_make_test_runs_it_passes_with_this_machines_browser() -> None:
    """The real command, as ``make test`` runs it first: a working browser here means exit 0, no output."""
    done = subprocess.run([sys.executable, str(TOOL), "check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_check_as_make_test_runs_it_stops_fast_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/nonexistent", "TRACEDOJO_CHROMIUM": str(tmp_path / "absent"), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(TOOL), "check"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: no browser for the browser tests")
