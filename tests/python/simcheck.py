"""Shared helpers of the third-party client tests: command-line arguments, a check counter,
and a requests hook that records every HTTP response's headers (the weight-header check)."""

import sys
import time
import traceback

WEIGHT_HEADER = "x-mbx-used-weight-1m"


class Run:
    """Counts checks; `report()` prints 'N passed, M failed' and exits non-zero on failure."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.responses = []  # (method, url, status, headers)
        self.last_body = None

    def args(self):
        if len(sys.argv) != 4:
            sys.exit(f"usage: {sys.argv[0]} BASE_URL API_KEY API_SECRET")
        return sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]

    def record(self, response, *args, **kwargs):
        """A requests response hook."""
        self.last_body = response.text
        self.responses.append(
            (response.request.method, response.url, response.status_code, dict(response.headers))
        )
        return response

    def check(self, label, fn, read_only=False):
        """Runs one check. The live market moves when a minute closes; a read-only check that
        compares several answers and failed while a minute turned (±1 s) runs once more."""
        for attempt in (1, 2):
            started = time.time()
            try:
                fn()
                self.passed += 1
                print(f"ok   {self.name}: {label}", flush=True)
                return
            except Exception:  # noqa: BLE001 - every failure is reported, the run goes on
                turned = int((started - 1) // 60) != int((time.time() + 1) // 60)
                if read_only and turned and attempt == 1:
                    print(f"     {self.name}: {label}: a minute closed meanwhile, again", flush=True)
                    continue
                self.failed += 1
                print(f"FAIL {self.name}: {label}", flush=True)
                traceback.print_exc()
                return

    def check_weight_headers(self, at_least):
        def every_response_has_it():
            assert len(self.responses) >= at_least, f"only {len(self.responses)} responses seen"
            missing = [
                (m, u, s)
                for (m, u, s, h) in self.responses
                if WEIGHT_HEADER not in {k.lower() for k in h}
            ]
            assert not missing, f"responses without {WEIGHT_HEADER}: {missing}"
            statuses = sorted({s for (_, _, s, _) in self.responses})
            print(f"     {len(self.responses)} responses, statuses {statuses}", flush=True)
            assert any(s >= 400 for s in statuses), "errors were checked too"

        self.check(f"{WEIGHT_HEADER} on every response (errors included)", every_response_has_it)

    def report(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def expect_error(fn, exc_type, code=None, text=None):
    """Runs fn, which must raise exc_type (whose message holds Binance's code and text)."""
    try:
        fn()
    except exc_type as e:  # noqa: PERF203
        msg = str(e)
        if code is not None:
            got = getattr(e, "code", None)
            assert got == code or str(code) in msg, f"expected code {code}, got {got}: {msg}"
        if text is not None:
            assert text in msg, f"expected {text!r} in {msg!r}"
        return e
    raise AssertionError(f"expected {exc_type.__name__}")
