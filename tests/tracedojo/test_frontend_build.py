"""The front-end build (frontend/, bundled by `make install`): every entry has a bundle, the bundle
is real CodeMirror 6 with Python, nothing names a package registry's host, and no page loads
anything from outside the platform."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tracedojo.settings import PROJECT_ROOT

FRONTEND = PROJECT_ROOT / "frontend"
BUILD = PROJECT_ROOT / "tracedojo" / "static" / "build"
TEMPLATES = PROJECT_ROOT / "templates"


def _entries() -> list[str]:
    return sorted(path.stem for path in (FRONTEND / "src" / "entries").iterdir() if path.suffix in {".js", ".ts"})


def test_every_entry_is_bundled_by_make_install() -> None:
    entries = _entries()
    assert "editor" in entries
    missing = [name for name in entries if not (BUILD / f"{name}.js").is_file()]
    assert not missing, f"not built (run `make install`): {missing}"


def test_the_editor_bundle_is_codemirror_6_with_python() -> None:
    bundle = (BUILD / "editor.js").read_text(encoding="utf-8")
    assert "cm-editor" in bundle and "cm-content" in bundle  # CodeMirror 6's DOM, not 5's ".CodeMirror"
    assert "async" in bundle and "lambda" in bundle  # the Python grammar's keywords came along
    assert not re.search(r"^\s*(import|export)\s.*from\s", bundle, re.MULTILINE), "bare imports left unbundled"


def test_dependencies_are_pinned_in_a_lockfile_that_names_no_host() -> None:
    manifest = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    wanted = {**manifest["dependencies"], **manifest["devDependencies"]}
    for name in ("codemirror", "@codemirror/lang-python", "esbuild", "axe-core"):
        assert name in wanted, name
        assert re.fullmatch(r"\d+\.\d+\.\d+", wanted[name]), f"{name} is not pinned: {wanted[name]}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == wanted[name]
    for path in [FRONTEND / "package.json", FRONTEND / "package-lock.json", FRONTEND / ".npmrc"]:
        assert "://" not in path.read_text(encoding="utf-8"), f"{path.name} names a host"


def test_pages_load_only_the_platforms_own_scripts() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for source in re.findall(r"""<(?:script|link)[^>]*(?:src|href)="([^"]+)\"""", text):
            assert source.startswith("/"), f"{template.name} loads {source} from elsewhere"
        assert "/static/vendor/" not in text, f"{template.name} still loads the old CodeMirror 5 files"
    practice = (TEMPLATES / "practice.html").read_text(encoding="utf-8")
    assert '<script type="module" src="/static/build/editor.js"></script>' in practice
    # Without the bundle the form still posts a labelled text area.
    assert re.search(r'<textarea name="code" id="code"[^>]*aria-label="[^"]+"', practice)


def test_the_bundle_is_served(tmp_path: Path) -> None:
    from factories import make_settings
    from fastapi.testclient import TestClient

    from tracedojo.app import create_app

    with TestClient(create_app(make_settings(tmp_path))) as client:
        served = client.get("/static/build/editor.js")
    assert served.status_code == 200
    assert "javascript" in served.headers["content-type"]
    assert served.content == (BUILD / "editor.js").read_bytes()
