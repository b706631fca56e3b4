"""scripts/axe.py, which `make test` runs to fetch axe-core: it refuses a tarball that does
not match the pinned sha512 integrity, and takes axe.min.js out of a good one."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "axe.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("axe_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_tarball_is_checked_against_its_integrity_then_unpacked() -> None:
    axe = _load()
    data = _tarball({"package/axe.min.js": b"window.axe = {};", "package/README.md": b"hi"})
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    axe.check_integrity(data, integrity)
    assert axe.extract(data) == b"window.axe = {};"
    with pytest.raises(ValueError, match="integrity"):
        axe.check_integrity(data + b"x", integrity)
    with pytest.raises(ValueError, match="integrity"):
        axe.check_integrity(data)  # not the pinned release
    assert axe.INTEGRITY.startswith("sha512-") and axe.VERSION in axe.URL
