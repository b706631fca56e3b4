"""Anonymous daily-page throughput: builds the demo database, starts `paperfeed serve`
on loopback and drives it with wrk (Debian: `apt-get install wrk`).

    python -m benchmarks.bench_daily_page                       # 2 workers, 1 s page cache
    python -m benchmarks.bench_daily_page --page-cache 0         # render every request
    python -m benchmarks.bench_daily_page --workers 1 --seconds 5 --connections 32

Prints requests/s and latency percentiles for the daily page (/date/2024-11-28), the
latest-day page (/) and a paper page. Target: >= 1,000 requests/s, p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PATHS = ("/date/2024-11-28", "/", "/papers/2302.07414")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_wrk(output: str) -> dict[str, float]:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
        if m:
            result[f"p{pct}_ms"] = ms(m.group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--page-cache", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        env = dict(os.environ, PAPERFEED_DATA_DIR=tmp, PAPERFEED_SECRET_KEY="b" * 40,
                   PAPERFEED_DATABASE_URL=f"sqlite:///{db}")
        paperfeed = [sys.executable, "-m", "paperfeed"]
        subprocess.run([*paperfeed, "demo", "--no-serve", "--db", str(db)], env=env,
                       check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [*paperfeed, "serve", "--port", str(port), "--workers", str(args.workers),
             "--page-cache", str(args.page_cache)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "/", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    print("server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            print(f"paperfeed serve: {args.workers} worker(s), page cache {args.page_cache} s; "
                  f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s")
            for path in PATHS:
                subprocess.run([wrk, "-t1", "-c4", "-d1s", base + path], capture_output=True)
                out = subprocess.run(
                    [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s",
                     "--latency", base + path],
                    capture_output=True, text=True, check=True,
                ).stdout
                r = parse_wrk(out)
                print(f"{path:<22} {r['rps']:>9,.0f} req/s   p50 {r.get('p50_ms', 0):6.1f} ms   "
                      f"p99 {r.get('p99_ms', 0):6.1f} ms   non-2xx {r['non_2xx']:.0f}")
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
