"""Refresh the README's screenshots: `make screenshot`.

Runs the browser tests that take them (the demo's daily and trending pages, and the
community flow's paper page with comments), which save PNGs under
build/screenshots/ (git-ignored), and copies those files to docs/. `make test` never
touches docs/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
NAMES = ("screenshot-daily.png", "screenshot-paper.png", "screenshot-trending.png")
TESTS = (
    "tests/web/test_browser.py::test_daily_page_then_a_paper_then_back",
    "tests/web/test_browser.py::test_trending_lists_the_demo_by_fading_votes",
    "tests/web/test_browser_flow.py::test_community_flow[sqlite]",
)


def main() -> int:
    for name in NAMES:
        (SHOTS / name).unlink(missing_ok=True)
    # PAPERFEED_REQUIRE_PG=1 turns a missing browser into a failure instead of a skip.
    env = {**os.environ, "PAPERFEED_REQUIRE_PG": "1"}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    result = subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    missing = [name for name in NAMES if not (SHOTS / name).exists()]
    if result.returncode != 0 or missing:
        print("screenshot: the browser tests failed; docs/ left as it was", file=sys.stderr)
        return result.returncode or 1
    for name in NAMES:
        shutil.copyfile(SHOTS / name, ROOT / "docs" / name)
        print(f"screenshot: wrote docs/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
