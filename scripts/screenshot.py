"""Refresh the README's screenshot: `make screenshot`.

Runs the browser test that walks the demo's daily page (it saves the page to
build/screenshots/screenshot-daily.png, git-ignored) and copies that file to
docs/screenshot-daily.png. `make test` never touches docs/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOT = ROOT / "build" / "screenshots" / "screenshot-daily.png"
DOCS = ROOT / "docs" / "screenshot-daily.png"
TEST = "tests/web/test_browser.py::test_daily_page_then_a_paper_then_back"


def main() -> int:
    SHOT.unlink(missing_ok=True)
    # PAPERFEED_REQUIRE_PG=1 turns a missing browser into a failure instead of a skip.
    env = {**os.environ, "PAPERFEED_REQUIRE_PG": "1"}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    result = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    if result.returncode != 0 or not SHOT.exists():
        print("screenshot: the browser test failed; docs/ left as it was", file=sys.stderr)
        return result.returncode or 1
    shutil.copyfile(SHOT, DOCS)
    print(f"screenshot: wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
