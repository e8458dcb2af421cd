"""Tiny test runner: imports engines/tests/test_*.py and runs every top-level test_* function.

Usage: runner.py [-k SUBSTRING]...  Prints one line per test ("ok NAME", "FAIL NAME" or "skip NAME: REASON")
and finally `models: N passed, M failed, K skipped`.

A test skips itself by raising unittest.SkipTest(reason). A test file that cannot be imported because
PyTorch, ONNX or NumPy is not installed has each of its tests reported as skipped with that reason, unless
RESSHIFT_MODELS_REQUIRED=1 (make test-models), where that is a failure."""
import ast
import gc
import importlib.util
import os
import sys
import time
import traceback
import unittest

# Debian packages that provide the optional Python modules the model tests need.
OPTIONAL = {"torch": "python3-torch", "onnx": "python3-onnx", "numpy": "python3-numpy"}


def test_names(path):
    """Top-level test_* functions of a file, found without importing it."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def main(argv):
    pats = [argv[i + 1] for i, a in enumerate(argv) if a == "-k" and i + 1 < len(argv)]
    passed = failed = skipped = 0
    required = os.environ.get("RESSHIFT_MODELS_REQUIRED") == "1"
    t_all = time.time()
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except ModuleNotFoundError as e:
            if e.name not in OPTIONAL or required:
                failed += 1
                print(f"FAIL {fn} (import)\n{traceback.format_exc()}", flush=True)
                continue
            reason = f"{OPTIONAL[e.name]} is not installed (make setup installs it)"
            for name in test_names(os.path.join(HERE, fn)):
                full = f"{fn[:-3]}.{name}"
                if not pats or any(p in full for p in pats):
                    skipped += 1
                    print(f"skip {full}: {reason}", flush=True)
            continue
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
            except unittest.SkipTest as e:
                skipped += 1
                print(f"skip {full}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {full} ({time.time() - t0:.1f}s)\n{traceback.format_exc()}", flush=True)
            gc.collect()
    print(f"total {time.time() - t_all:.1f}s")
    print(f"models: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
