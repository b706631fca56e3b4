"""List the benchmarks (``bench_*.py`` here), run one by name, or run them all."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def run(name: str, args: list[str]) -> None:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    doc = (module.__doc__ or "").strip().splitlines()
    print(f"== {name}: {doc[0] if doc else ''}", flush=True)
    sys.argv = [f"benchmarks.bench_{name}", *args]
    result = module.main(args) if _takes_args(module.main) else module.main()
    if isinstance(result, int) and result:
        raise SystemExit(result)


def _takes_args(func: object) -> bool:
    import inspect

    try:
        return bool(inspect.signature(func).parameters)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def main() -> None:
    names = available()
    argv = sys.argv[1:]
    if not argv or argv[0] in {"-h", "--help", "list"}:
        print("benchmarks (python -m benchmarks NAME [ARGS] | all):")
        for name in names:
            doc = (importlib.import_module(f"benchmarks.bench_{name}").__doc__ or "").strip()
            print(f"  {name:<12} {doc.splitlines()[0] if doc else ''}")
        return
    if argv[0] == "all":
        for name in names:
            run(name, [])
        return
    if argv[0] not in names:
        raise SystemExit(f"unknown benchmark {argv[0]!r}; one of: {', '.join(names)}")
    run(argv[0], argv[1:])


if __name__ == "__main__":
    main()
