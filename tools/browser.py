"""A browser for the Playwright tests: find one, provide one (``make install``), check one (``make test``).

Where a browser comes from, in order:

1. ``TRACEDOJO_CHROMIUM``: an explicit path to a Chromium executable;
2. Debian's ``chromium`` (on the PATH or at /usr/bin/chromium), which the package manager keeps patched;
3. Playwright's own Chromium download (``playwright install chromium``), for machines where we may not
   install system packages.

``provide`` installs Debian's package when it runs as root on a machine with apt-get, otherwise it asks
Playwright to download its Chromium; it never fails the install (the platform runs without a browser),
it says what happened. ``check`` launches the browser once, headless, and exits 1 with one line naming
what to install when it cannot, so ``make test`` stops at the start instead of failing minutes later.

The browser tests import ``executable`` from here, so they find the browser wherever it came from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
ENV_OVERRIDE = "TRACEDOJO_CHROMIUM"
# Flags for a headless Chromium in a container (no user namespace sandbox for the browser itself).
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WHAT_TO_INSTALL = (
    "no browser for the browser tests: install Debian's chromium (`apt-get install chromium`, as root) "
    "or run `.venv/bin/playwright install --with-deps chromium`, or set TRACEDOJO_CHROMIUM to a Chromium executable"
)

Runner = Callable[[Sequence[str]], int]


def _run(command: Sequence[str]) -> int:
    return subprocess.run(list(command), check=False).returncode


def system_chromium() -> Path | None:
    """Debian's (or any packaged) ``chromium`` on this machine, if there is one."""
    found = shutil.which("chromium")
    if found:
        return Path(found)
    return DEBIAN_CHROMIUM if DEBIAN_CHROMIUM.exists() else None


def playwright_chromium() -> Path | None:
    """The Chromium that ``playwright install chromium`` downloaded, if it did."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = Path(playwright.chromium.executable_path)
    except Exception:  # the driver could not start: no usable Playwright either
        return None
    return path if path.exists() else None


def executable(environ: dict[str, str] | None = None) -> Path | None:
    """The Chromium the tests launch: the override, else Debian's, else Playwright's download."""
    env = os.environ if environ is None else environ
    override = env.get(ENV_OVERRIDE)
    if override:
        path = Path(override)
        return path if path.exists() else None
    return system_chromium() or playwright_chromium()


def can_use_apt(*, is_root: bool | None = None) -> bool:
    root = os.geteuid() == 0 if is_root is None else is_root
    return root and shutil.which("apt-get") is not None


def provide(*, run: Runner = _run, apt: bool | None = None, out: Callable[[str], None] = print) -> Path | None:
    """Make a browser available: Debian's package when we may install it, else Playwright's download."""
    found = executable()
    if found is not None:
        out(f"browser: {found}")
        return found
    use_apt = can_use_apt() if apt is None else apt
    if use_apt:
        os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
        if run(["apt-get", "update", "-qq"]) == 0 and run(["apt-get", "install", "-y", "-qq", "chromium"]) == 0:
            found = system_chromium()
            if found is not None:
                out(f"browser: installed Debian's chromium at {found}")
                return found
    if run([sys.executable, "-m", "playwright", "install", "chromium"]) == 0:
        found = playwright_chromium()
        if found is not None:
            out(f"browser: downloaded Playwright's Chromium to {found}")
            return found
    out(f"warning: {WHAT_TO_INSTALL}")
    return None


def launches(path: Path) -> str | None:
    """None when the browser starts and stops headless; else why not (one line)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "Playwright is not installed (run `make install`)"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(path), args=list(LAUNCH_ARGS), headless=True)
            browser.close()
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"{path} does not start: {first}"
    return None


def check(*, out: Callable[[str], None] = print) -> int:
    found = executable()
    if found is None:
        out(f"error: {WHAT_TO_INSTALL}")
        return 1
    problem = launches(found)
    if problem is not None:
        out(f"error: {problem}; {WHAT_TO_INSTALL}")
        return 1
    return 0


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["provide"]:
        provide()
        return 0
    if list(argv) == ["check"]:
        return check(out=lambda line: print(line, file=sys.stderr))
    if list(argv) == ["path"]:
        found = executable()
        print(found if found else "")
        return 0 if found else 1
    print("usage: browser.py provide|check|path", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
