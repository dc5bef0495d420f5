"""`make bench`: run every benchmark script in bench/, one after another."""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    names = [
        m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in ("common", "__main__")
    ]
    wanted = sys.argv[1:] or names
    failed = []
    for name in sorted(wanted):
        print(f"== bench.{name}", flush=True)
        # Each script in its own process: each sets up Django for its own database.
        if subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    importlib.invalidate_caches()
    main()
