"""Fetch axe-core (the accessibility checker the browser tests inject) into build/axe/.

`make test` (scripts/test.sh) runs this during setup, like PostgreSQL and Chromium: it
downloads the pinned npm tarball once, checks it against the registry's sha512
`integrity`, and extracts package/axe.min.js to build/axe/axe.min.js (git-ignored).
A second run does nothing. Tests never touch the network; they read the file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "build" / "axe" / "axe.min.js"
VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# `npm view axe-core@4.14.1 dist.integrity`
INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)


def check_integrity(data: bytes, integrity: str = INTEGRITY) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise ValueError(f"axe-core {VERSION} tarball does not match its pinned integrity")


def extract(data: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/axe.min.js")
        if member is None:
            raise ValueError("no package/axe.min.js in the axe-core tarball")
        return member.read()


def main() -> int:
    if TARGET.exists():
        return 0
    print(f"downloading axe-core {VERSION}")
    with urllib.request.urlopen(URL, timeout=120) as response:
        data = response.read()
    check_integrity(data)
    script = extract(data)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    partial = TARGET.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
