from __future__ import annotations

import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from tracedojo.settings import PROJECT_ROOT


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_assets", PROJECT_ROOT / "tools" / "fetch_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fetch_assets"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


fetch_assets = _load_tool()
IntegrityError, NpmAsset = fetch_assets.IntegrityError, fetch_assets.NpmAsset
extract, is_current, sri_sha512 = fetch_assets.extract, fetch_assets.is_current, fetch_assets.sri_sha512


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_extracts_only_the_listed_files_after_checking_integrity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_assets, "VENDOR", tmp_path)
    tarball = _tarball({"lib/a.js": b"a()", "lib/a.css": b"a{}", "evil.sh": b"rm -rf /"})
    asset = NpmAsset(name="thing", version="1.2.3", integrity=sri_sha512(tarball), files=("lib/a.js", "lib/a.css"))
    assert not is_current(asset)
    extract(asset, tarball)
    assert (tmp_path / "thing" / "lib" / "a.js").read_bytes() == b"a()"
    assert not (tmp_path / "thing" / "evil.sh").exists()
    assert is_current(asset)


def test_a_tampered_tarball_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_assets, "VENDOR", tmp_path)
    good = _tarball({"lib/a.js": b"a()"})
    asset = NpmAsset(name="thing", version="1.0.0", integrity=sri_sha512(good), files=("lib/a.js",))
    with pytest.raises(IntegrityError, match="does not match the pinned integrity"):
        extract(asset, _tarball({"lib/a.js": b"evil()"}))
    assert not (tmp_path / "thing").exists()


def test_the_pinned_editor_is_codemirror_5_with_python_mode() -> None:
    (codemirror,) = fetch_assets.ASSETS
    assert codemirror.name == "codemirror" and codemirror.version.startswith("5.")
    assert {"lib/codemirror.js", "lib/codemirror.css", "mode/python/python.js"} <= set(codemirror.files)
    assert codemirror.integrity.startswith("sha512-")
