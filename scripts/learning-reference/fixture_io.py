"""Writing and checking a reference fixture: shared by the reference scripts of this folder."""
import json
import math
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def finite(x):
    return float(x) if math.isfinite(x) else None


def close(a, b):
    """Equal by value: numbers within 1e-12 (relative), the scikit-learn version ignored."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a if k != "sklearnVersion")
    if isinstance(a, float) and isinstance(b, (int, float)) or isinstance(b, float) and isinstance(a, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


def write_or_check(fixture, data, check, version):
    """With `check`, 1 when the committed fixture differs from `data`; else writes it (then Prettier)."""
    if check:
        committed = json.loads(fixture.read_text(encoding="utf-8"))
        if not close(committed, data):
            print(f"{fixture} differs from scikit-learn {version}; rerun without --check.")
            return 1
        print(f"{fixture} matches scikit-learn {version}.")
        return 0
    fixture.parent.mkdir(parents=True, exist_ok=True)
    fixture.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # The repository's formatter owns the layout of committed JSON; --check compares values only.
    prettier = ROOT / "node_modules" / ".bin" / "prettier"
    if prettier.exists():
        subprocess.run([str(prettier), "--write", str(fixture)], check=True, cwd=ROOT, capture_output=True)
    else:
        print("node_modules/.bin/prettier not found: run `npx prettier --write` on the fixture before committing.")
    print(f"Wrote {fixture}.")
    return 0
