"""Tiny test runner: imports engines/tests/test_*.py and runs every top-level test_* function.

Usage: runner.py [-k SUBSTRING]...  Prints one line per test and finally `models: N passed, M failed`."""
import gc
import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def main(argv):
    pats = [argv[i + 1] for i, a in enumerate(argv) if a == "-k" and i + 1 < len(argv)]
    passed = failed = 0
    t_all = time.time()
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            failed += 1
            print(f"FAIL {fn} (import)\n{traceback.format_exc()}", flush=True)
            continue
        for name in [n for n in vars(mod) if n.startswith("test_") and callable(getattr(mod, n))]:
            full = f"{fn[:-3]}.{name}"
            if pats and not any(p in full for p in pats):
                continue
            t0 = time.time()
            try:
                getattr(mod, name)()
                passed += 1
                print(f"ok   {full} ({time.time() - t0:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {full} ({time.time() - t0:.1f}s)\n{traceback.format_exc()}", flush=True)
            gc.collect()
    print(f"total {time.time() - t_all:.1f}s")
    print(f"models: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
