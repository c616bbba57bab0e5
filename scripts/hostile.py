"""Hostile inputs to the command layer, by class, with the outcome each class must have.

    python3 scripts/hostile.py [--out bench/data/hostile.json] [--markdown]

Every case runs `python -m zcheck ...` in a fresh process (this checkout first on
PYTHONPATH) and is judged on what a user sees: the exit code is one the class allows, no
Python traceback, an exit 2 has an `error[ZCnnn]` with a `--> file:line:col`, nothing
written to stdout or stderr carries a raw control character from the model, the process
ended within its time limit, and for signal cases no child process is left. The classes
are the ones issue 16 names; each case is generated here (no network, no fixed corpus),
so the table in docs/reliability.md can be regenerated with `--markdown`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "model m\nvar x: 0 .. 3 = 0\naction a() { x := (x + 1) % 3 }\ninvariant i: x < 3\n"
HARD = ("model hard\nvar found: bool = false\nvar steps: int = 0\naction tick() { steps := steps + 1 }\n"
        "action try(x: int, y: int, z: int) {\n  require x * x * x + y * y * y + z * z * z == 33 + steps\n"
        "  require x > 1000000 || x < -1000000\n  found := true\n}\ninvariant easy: steps >= 0\n"
        "invariant no_sum_of_cubes: !found\n")
BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85"]
UNSAFE = [chr(c) for c in (*range(0x01, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x20), 0x7F, *range(0x86, 0xA0),
                           0x202E, 0x2066)]
RAW = re.compile("[" + "".join(re.escape(c) for c in UNSAFE) + "]")
LOCATED = re.compile(r"(error|warning)\[ZC\d{3}\]: .*\n\s+--> \S.*:\d+:\d+")


@dataclass
class Case:
    klass: str
    name: str
    argv: list[str]
    allowed: tuple[int, ...]
    stdin: str | None = None
    limit: float = 60.0
    fsize: int | None = None  # RLIMIT_FSIZE in bytes: a full disk
    signal_after: float | None = None
    sig: int = signal.SIGTERM
    check: str = ""  # an extra condition, see _extra


@dataclass
class Outcome:
    klass: str
    name: str
    ok: bool
    exit: int
    seconds: float
    why: str = ""
    notes: list[str] = field(default_factory=list)


def cases(tmp: Path) -> list[Case]:
    out: list[Case] = []

    def model(name: str, text: str | bytes) -> str:
        p = tmp / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(p)

    # line endings: every break before and inside a comment; the model must be checked (exit 0)
    for i, br in enumerate(BREAKS):
        for j, other in enumerate(BREAKS):
            text = f"// header{br}model m{br}var x: 0 .. 3 = 0 // c{other}action a() {{ x := (x + 1) % 3 }}{br}" \
                   f"invariant i: x < 3{other}"
            out.append(Case("line endings", f"{i}-{j}", ["verify", model(f"le{i}{j}.zdl", text)], (0,),
                            check="proved:i"))
        out.append(Case("line endings", f"comment-only-{i}", ["verify", model(f"lec{i}.zdl", f"// only{br}// a comment")],
                        (2,)))
    # control characters from the model and the command line
    for k, ch in enumerate(UNSAFE):
        spec = model(f"cc{k}.zdl", f"// header {ch}[2J\n" + BASE.replace("x < 3", f"x < 3 // {ch}"))
        out.append(Case("control characters", f"comment-{ord(ch):04x}", ["verify", spec, "--format", "markdown"], (0,)))
        out.append(Case("control characters", f"name-{ord(ch):04x}", ["verify", spec, "-p", f"no{ch}pe"], (2,)))
        try:
            path = model(f"p{ch}{k}.zdl", BASE)
            out.append(Case("control characters", f"path-{ord(ch):04x}", ["verify", path], (0,)))
        except (OSError, ValueError):
            pass
    # numbers and literals
    for lit in ["0x_", "0b2", "0x", "1" + "0" * 5000, "-", "1e3", "0o7", "٣"]:
        out.append(Case("bad numbers", f"-D {lit[:12]}", ["verify", model("n.zdl", BASE.replace("model m", "model m\nconst N: int = 1")),
                                                          "-D", f"N={lit}"], (2,)))
        out.append(Case("bad numbers", f"literal {lit[:12]}", ["check", model(f"lit{len(out)}.zdl", f"model m\nvar x: int = {lit}\n")],
                        (2,)))
    out.append(Case("bad numbers", "bv width 10^8", ["check", model("bv.zdl", "model m\nvar x: bv100000000 = 0\n")], (2,)))
    # command-line values
    for opt, val in [("--timeout", v) for v in ("inf", "nan", "1e300", "-1", "0", "abc")] + \
                    [("--jobs", v) for v in ("0", "1e30", "-2", "x")] + [("--depth", v) for v in ("-1", "1e9", "x")] + \
                    [("--max-k", "-1"), ("--seed", "-3"), ("--memory-limit", "0"), ("--engine", "magic")]:
        out.append(Case("command-line values", f"{opt} {val}", ["verify", model("cl.zdl", BASE), opt, val], (2,)))
    # size and shape
    big = "model m\n" + "var x: int = 0 // filler line of a model that is far too large\n" * 90_000
    out.append(Case("size and shape", "5 MB file", ["check", model("big.zdl", big)], (2,)))
    out.append(Case("size and shape", "10,000 brackets", ["check", model("br.zdl", "model m\ninvariant i: " + "(" * 10_000 + "true" + ")" * 10_000 + "\n")], (2,)))
    out.append(Case("size and shape", "6,000 operands of +", ["check", model("ch.zdl", "model m\nvar x: int = 0\ninvariant i: (" + " + ".join(["x"] * 6000) + ") >= 0\n")], (2,)))
    out.append(Case("size and shape", "6,000 operands of &&", ["check", model("ca.zdl", "model m\nvar x: bool = true\ninvariant i: " + " && ".join(["x"] * 6000) + "\n")], (2,)))
    fns = ["model m", "var x: int = 0", "fn f0(a: int): int = a + 1"] + \
          [f"fn f{k}(a: int): int = f{k - 1}(f{k - 1}(a))" for k in range(1, 18)] + ["invariant i: f17(x) >= 0"]
    out.append(Case("size and shape", "doubling fn chain", ["check", model("fn.zdl", "\n".join(fns) + "\n")], (2,)))
    out.append(Case("size and shape", "non-UTF-8", ["check", model("latin.zdl", b"model m\n\xff\xfe")], (2,)))
    out.append(Case("size and shape", "empty model", ["verify", model("empty.zdl", "model m\n")], (2,)))
    # files that are not model files
    fifo = tmp / "fifo.zdl"
    os.mkfifo(fifo)
    out.append(Case("not a regular file", "import FIFO", ["check", model("if.zdl", 'model m\nimport "fifo.zdl"\n')], (2,)))
    out.append(Case("not a regular file", "import /dev/zero", ["check", model("iz.zdl", 'model m\nimport "/dev/zero"\n')], (2,)))
    out.append(Case("not a regular file", "import a directory", ["check", model("id.zdl", f'model m\nimport "{tmp}"\n')], (2,)))
    out.append(Case("not a regular file", "import with NUL", ["check", model("in.zdl", 'model m\nimport "a\\0b"\n')], (2,)))
    out.append(Case("not a regular file", "main /dev/zero", ["verify", "/dev/zero"], (2,)))
    out.append(Case("not a regular file", "main FIFO, --timeout 3", ["verify", str(fifo), "--timeout", "3"], (3,), limit=10))
    out.append(Case("not a regular file", "main from a pipe", ["verify", "/dev/stdin"], (0,), stdin=BASE))
    out.append(Case("not a regular file", "main a directory", ["verify", str(tmp)], (2,)))
    # outputs that cannot be written
    out.append(Case("unwritable output", "-o into a missing dir", ["verify", model("o1.zdl", BASE), "-o",
                                                                   str(tmp / "no" / "such" / "r.txt")],
                    (0,), check="stdout-has:PROVED"))
    out.append(Case("unwritable output", "-o a directory", ["verify", model("o2.zdl", BASE), "-o", str(tmp)], (0,),
                    check="stdout-has:PROVED"))
    out.append(Case("unwritable output", "-o on a full disk", ["verify", model("o3.zdl", BASE), "-o", str(tmp / "full.txt")],
                    (0,), fsize=64, check="stdout-has:PROVED"))
    fmt_target = model("f.zdl", "model m\nvar   x: int=0\ninvariant i: x>=0\n")
    out.append(Case("unwritable output", "fmt on a full disk", ["fmt", fmt_target], (2,), fsize=16, check=f"unchanged:{fmt_target}"))
    # signals
    hard = model("hard.zdl", HARD)
    for after in (0.3, 1.0, 4.0):
        out.append(Case("signals", f"SIGTERM at {after} s", ["verify", hard, "--depth", "30"], (143, -15) if after < 0.5 else (143,),
                        signal_after=after, sig=signal.SIGTERM, limit=40, check="no-children"))
        out.append(Case("signals", f"SIGINT at {after} s", ["verify", hard, "--depth", "30"], (3, -2) if after < 0.5 else (3,),
                        signal_after=after, sig=signal.SIGINT, limit=40, check="no-children"))
        out.append(Case("signals", f"SIGTERM at {after} s, --jobs 2", ["verify", hard, "--depth", "30", "--jobs", "2"],
                        (143, -15) if after < 0.5 else (143,), signal_after=after, sig=signal.SIGTERM, limit=40,
                        check="no-children"))
    out.append(Case("signals", "--timeout 5", ["verify", hard, "--depth", "30", "--timeout", "5"], (3,), limit=8))
    return out


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children", encoding="utf-8") as fh:
                    kids = {int(x) for x in fh.read().split()} - found
            except FileNotFoundError:
                continue
            found |= kids
            todo += sorted(kids)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def run(case: Case, tmp: Path) -> Outcome:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = Path(case.check.split(":", 1)[1]).read_bytes() if case.check.startswith("unchanged:") else None

    def limits() -> None:
        if case.fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (case.fsize, case.fsize))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "zcheck", *case.argv], cwd=tmp, env=env, preexec_fn=limits,
                            stdin=subprocess.PIPE if case.stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: set[int] = set()
    try:
        if case.signal_after is not None:
            while time.monotonic() - start < case.signal_after:
                children |= _descendants(proc.pid)
                time.sleep(0.05)
            children |= _descendants(proc.pid)
            proc.send_signal(case.sig)
        raw_out, raw_err = proc.communicate(case.stdin.encode() if case.stdin is not None else None,
                                            timeout=case.limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Outcome(case.klass, case.name, False, -9, case.limit, f"did not end within {case.limit:g} s")
    seconds = time.monotonic() - start
    out, err = raw_out.decode("utf-8", "replace"), raw_err.decode("utf-8", "replace")
    why = _judge(case, proc.returncode, out, err, before)
    if case.check == "no-children":
        time.sleep(0.3)
        left = [c for c in children if _alive(c)]
        if left:
            why = why or f"processes left: {left}"
    return Outcome(case.klass, case.name, not why, proc.returncode, round(seconds, 2), why)


def _judge(case: Case, code: int, out: str, err: str, before: bytes | None) -> str:
    if code not in case.allowed:
        return f"exit {code}, expected {case.allowed}: {err[-300:]}"
    if "Traceback" in out + err:
        return "a Python traceback"
    if code == 2 and not LOCATED.search(err):
        return f"exit 2 without a located diagnostic: {err[-300:]}"
    if RAW.search(out) or RAW.search(err):
        return "a raw control character in the output"
    if case.check.startswith("proved:") and not re.search(rf"PROVED +{case.check[7:]} ", out):
        return f"`{case.check[7:]}` not PROVED: {out[-300:]}"
    if case.check.startswith("stdout-has:") and case.check[11:] not in out:
        return f"stdout lacks {case.check[11:]!r}"
    if before is not None and Path(case.check.split(":", 1)[1]).read_bytes() != before:
        return "the file was changed"
    return ""


def markdown(results: list[Outcome], meta: dict) -> str:
    rows: dict[str, list[Outcome]] = {}
    for r in results:
        rows.setdefault(r.klass, []).append(r)
    lines = [f"Generated by `python3 scripts/hostile.py --markdown` on commit {meta['commit']} "
             f"({meta['cases']} cases, {meta['seconds']} s).", "",
             "| class | cases | outcome required | passed | slowest |", "| --- | --- | --- | --- | --- |"]
    required = {
        "line endings": "CR, CRLF, LF, U+2028/2029/0085 each end a line and a `//` comment: the model is checked (PROVED); a model of comments only is ZC906, exit 2",
        "control characters": "C0/C1/DEL/bidi from comments, paths and names shown as `\\uXXXX`; exit 0 or a located exit 2",
        "bad numbers": "malformed or oversized literals in the model and in `-D`: located diagnostic, exit 2",
        "command-line values": "out-of-range or malformed option values: ZC403, exit 2",
        "size and shape": "over 4 MiB, deep nesting, 5,000+ operands, exponential fn inlining, non-UTF-8, nothing to check: located exit 2",
        "not a regular file": "FIFO, device, directory, NUL in a path: located exit 2 without blocking; a FIFO main file ends at --timeout (exit 3); a pipe is read",
        "unwritable output": "the verdicts still on stdout with the verdict's exit code (ZC405); `fmt` leaves the file unchanged, exit 2",
        "signals": "SIGTERM exit 143, SIGINT exit 3, the verdicts so far printed, no child process left; --timeout ends the run near its limit (exit 3)",
    }
    for klass, rs in rows.items():
        passed = sum(r.ok for r in rs)
        lines.append(f"| {klass} | {len(rs)} | {required.get(klass, '')} | {passed} of {len(rs)} | "
                     f"{max(r.seconds for r in rs):.1f} s |")
    bad = [r for r in results if not r.ok]
    if bad:
        lines += ["", "Failures:", ""] + [f"- {r.klass} / {r.name}: {r.why}" for r in bad]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "hostile.json")
    ap.add_argument("--markdown", action="store_true", help="print the table for docs/reliability.md")
    ap.add_argument("--only", help="run the classes whose name contains this")
    args = ap.parse_args(argv)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zcheck-hostile-") as d:
        tmp = Path(d)
        todo = [c for c in cases(tmp) if not args.only or args.only in c.klass]
        results = []
        for c in todo:
            r = run(c, tmp)
            results.append(r)
            if not r.ok:
                print(f"FAIL {r.klass} / {r.name}: {r.why}", file=sys.stderr, flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    meta = {"commit": commit, "cases": len(results), "seconds": round(time.monotonic() - start)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=1) + "\n")
    os.replace(tmp_out, args.out)
    if args.markdown:
        print(markdown(results, meta))
    print(f"{sum(r.ok for r in results)} passed, {sum(not r.ok for r in results)} failed", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
