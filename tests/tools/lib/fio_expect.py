# SPDX-License-Identifier: MIT
"""python3 tests/tools/lib/fio_expect.py FILE.json EXPR...

Boot tests' assertions on a fio JSON document: each EXPR is a Python
expression over `doc` (the document), `jobs` (its job list) and `opts(j)`
(a job's options merged over the global ones, as fio-plot merges them),
and must be true. Prints each expression that is not, with what its parts
were, and exits 1; exits 0 when all hold."""

import json
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        doc = json.load(f)

    def opts(job):
        return {**doc.get("global options", {}), **job.get("job options", {})}

    env = {"doc": doc, "jobs": doc.get("jobs", []), "opts": opts}
    for f in (len, sum, all, any, min, max, set, list, dict, sorted, int, float, str, abs, round,
              range, zip, enumerate):
        env[f.__name__] = f
    bad = 0
    for expr in argv[1:]:
        try:
            # One namespace, so that comprehensions see it too.
            ok = eval(expr, dict(env, __builtins__={}))  # noqa: S307 - the test table's own text
        except Exception as e:  # a missing key is a failed expectation, named
            print(f"fio_expect: {argv[0]}: {expr}: {type(e).__name__}: {e}", file=sys.stderr)
            bad += 1
            continue
        if not ok:
            print(f"fio_expect: {argv[0]}: not true: {expr}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
