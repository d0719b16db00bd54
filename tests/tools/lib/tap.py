# SPDX-License-Identifier: MIT
"""Run unittest cases and print TAP, as tools/run-tests reads it: a plan,
one "ok N - name" or "not ok N - name" line per case, the reason of a
failure as "# " lines after it."""

import sys
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.bad = 0

    def _name(self, test):
        return f"{type(test).__name__}.{getattr(test, '_testMethodName', str(test))}"

    def _line(self, verdict, test, why=None):
        self.n += 1
        print(f"{verdict} {self.n} - {self._name(test)}")
        if why:
            for line in why.rstrip().splitlines()[-12:]:
                print(f"# {line}")
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line("ok", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.bad += 1
        self._line("not ok", test, self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self.bad += 1
        # A class fixture that failed is reported once, as its own case.
        self._line("not ok", test, self.errors[-1][1])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n += 1
        print(f"ok {self.n} - {self._name(test)} # SKIP {reason}", flush=True)


def run(*cases):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in cases)
    print(f"1..{suite.countTestCases()}", flush=True)
    result = TapResult()
    suite.run(result)
    return 1 if result.bad or result.n != suite.countTestCases() else 0
