"""Fetch the browser editor's assets from the npm registry at install time.

No Node and no CDN: a pinned npm tarball is downloaded with Python, checked
against the registry's sha512 integrity, and the few files the pages load are
extracted into ``tracedojo/static/vendor/``. Re-running is a no-op once the
files are there.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "tracedojo" / "static" / "vendor"


@dataclass(frozen=True)
class NpmAsset:
    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def tarball(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"

    @property
    def target(self) -> Path:
        return VENDOR / self.name


ASSETS = (
    NpmAsset(
        name="codemirror",
        version="5.65.21",
        integrity="sha512-6teYk0bA0nR3QP0ihGMoxuKzpl5W80FpnHpBJpgy66NK3cZv5b/d/HY8PnRvfSsCG1MTfr92u2WUl+wT0E40mQ==",
        files=(
            "lib/codemirror.js",
            "lib/codemirror.css",
            "mode/python/python.js",
            "addon/edit/matchbrackets.js",
            "LICENSE",
        ),
    ),
)


class IntegrityError(Exception):
    def __init__(self, asset: NpmAsset, actual: str) -> None:
        super().__init__(asset, actual)
        self.asset = asset
        self.actual = actual

    def __str__(self) -> str:
        return (
            f"{self.asset.name}@{self.asset.version}: the downloaded tarball does not match the pinned "
            f"integrity (expected {self.asset.integrity}, got {self.actual})"
        )


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def extract(asset: NpmAsset, tarball: bytes) -> list[Path]:
    actual = sri_sha512(tarball)
    if actual != asset.integrity:
        raise IntegrityError(asset, actual)
    written = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for relative in asset.files:
            member = archive.extractfile(f"package/{relative}")
            if member is None:
                raise FileNotFoundError(f"{asset.name}@{asset.version} has no file {relative}")
            destination = asset.target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(member.read())
            written.append(destination)
    (asset.target / ".version").write_text(asset.version + "\n")
    return written


def is_current(asset: NpmAsset) -> bool:
    stamp = asset.target / ".version"
    return (
        stamp.is_file()
        and stamp.read_text().strip() == asset.version
        and all((asset.target / f).is_file() for f in asset.files)
    )


def fetch(asset: NpmAsset, *, timeout: float = 60.0) -> bytes:
    with urllib.request.urlopen(asset.tarball, timeout=timeout) as response:
        data: bytes = response.read()
        return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="download again even if present")
    args = parser.parse_args(argv)
    for asset in ASSETS:
        if is_current(asset) and not args.force:
            continue
        try:
            extract(asset, fetch(asset))
        except (OSError, IntegrityError) as exc:
            print(f"fetch_assets: {asset.name}@{asset.version}: {exc}", file=sys.stderr)
            print("fetch_assets: the editor falls back to a plain text area until this succeeds", file=sys.stderr)
            return 1
        print(f"fetch_assets: {asset.name}@{asset.version} -> {asset.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
