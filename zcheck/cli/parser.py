"""Command-line arguments: the parser of every subcommand and the checks of their values.

Errors in the arguments are ZC403 diagnostics with exit 2 (argparse's own exit 2 and
usage line are replaced); `-D` items are checked by `defines` (ZC401 in main.py).
"""

from __future__ import annotations

import argparse
import sys

from zcheck.cli.exits import Exit


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as ZC403 diagnostics with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error[ZC403]: {message}\n  --> <command line>:1:1\n")
        sys.stderr.write(f"  = note: see `{self.prog} --help`\n")
        raise SystemExit(Exit.USAGE)


def defines(values: list[str]) -> dict[str, str]:
    """`-D NAME=VALUE` items as a dict; BadDefine names the first malformed one."""
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise BadDefine(item)
        out[name.strip()] = value.strip()
    return out


class BadDefine(Exception):
    """A `-D` item that is not NAME=VALUE."""


def build_parser() -> argparse.ArgumentParser:
    from zcheck import __version__

    p = _Parser(prog="zcheck", description="Model checker for Linux memory-hotplug and page-flag models (ZDL).")
    p.add_argument("--version", action="version", version=f"zcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("verify", help="check the properties of a model")
    v.add_argument("spec", help="a .zdl file, or the name of a bundled model (see `zcheck models`)")
    v.add_argument("-p", "--property", action="append", default=[], help="check only this property (repeatable)")
    v.add_argument("--depth", type=_nonneg, default=10, help="BMC bound in steps (default 10)")
    v.add_argument("--engine", choices=["auto", "bmc", "kind", "pdr"], default="auto")
    v.add_argument("--max-k", type=_nonneg, default=None,
                   help="largest k for k-induction (default 3 with --engine auto, 8 with --engine kind)")
    v.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    v.add_argument("--scenario")
    v.add_argument("--timeout", type=_positive_float, help="seconds for the whole run (counted from the start)")
    v.add_argument("--memory-limit", type=_positive_int, metavar="MB", help="stop Z3 at this many megabytes (exit 3)")
    v.add_argument("--max-states", type=_positive_int, metavar="N",
                   help="states explicit-state exhaustion may visit (default 500,000; about 0.4 KB each)")
    v.add_argument("--jobs", type=_positive_int, metavar="N",
                   help="check each property on its own, in N processes (any N gives the same output)")
    v.add_argument("--seed", type=_nonneg, default=0)
    v.add_argument("--format", choices=["text", "json", "markdown", "html", "sarif"], default="text")
    v.add_argument("-o", "--output", help="write the report to this file")
    v.add_argument("--edges", action="store_true",
                   help="warn (ZC902) about transitions edges no trace of up to --depth steps takes")
    for name, what in (("deadlock", "wait-for cycles"), ("stuck", "invalid end states"),
                       ("lockdep", "lock-class order inversions")):
        v.add_argument(f"--no-{name}", dest="skip", action="append_const", const=name, default=[],
                       help=f"do not check the implicit property `{name}` ({what}) by default")
    v.add_argument("--allow-empty", action="store_true",
                   help="exit 0 when the model has nothing to check (default: warning ZC906 and exit 2)")
    v.add_argument("-v", "--verbose", action="store_true")
    v.add_argument("-q", "--quiet", action="store_true",
                   help="no live progress on standard error (shown only when it is a terminal)")

    c = sub.add_parser("check", help="parse and type-check only")
    c.add_argument("spec")
    c.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")

    t = sub.add_parser("test", help="run the `check ... expect` directives of models")
    t.add_argument("paths", nargs="*", help="model files or folders (default: models)")
    t.add_argument("--junit", help="also write JUnit XML to this file")
    _scheduling(t, "worker processes on this machine (default 1: in this process)")
    t.add_argument("-q", "--quiet", action="store_true",
                   help="no live progress on standard error (shown only when it is a terminal)")

    w = sub.add_parser("sweep", help="every variant (-D N=4,8,16) x every property, as a table of verdicts")
    w.add_argument("spec", help="a .zdl file, or the name of a bundled model")
    w.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="the values of a constant to sweep over (several -D: their cartesian product)")
    w.add_argument("-p", "--property", action="append", default=[], help="only this property (repeatable)")
    w.add_argument("--depth", type=_nonneg, default=10, help="BMC bound in steps (default 10)")
    w.add_argument("--engine", choices=["auto", "bmc", "kind", "pdr"], default="auto")
    w.add_argument("--max-k", type=_nonneg, default=None, help="largest k for k-induction")
    w.add_argument("--scenario")
    w.add_argument("--seed", type=_nonneg, default=0)
    w.add_argument("--timeout", type=_positive_float, help="seconds for the whole sweep (counted from the start)")
    w.add_argument("--memory-limit", type=_positive_int, metavar="MB", help="stop Z3 at this many megabytes, per job")
    w.add_argument("--max-states", type=_positive_int, metavar="N",
                   help="states explicit-state exhaustion may visit, per job (default 500,000)")
    w.add_argument("--format", choices=["text", "json", "junit"], default="text")
    w.add_argument("-o", "--output", help="write the table to this file")
    _scheduling(w, "worker processes on this machine (default: one per core; any N gives the same table)")
    w.add_argument("-v", "--verbose", action="store_true", help="one line per cell on stderr as it comes")
    w.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on standard error (shown one line per cell when it is a terminal)")

    g = sub.add_parser("graph", help="lifecycles, processes and locks, or the lock order, as DOT or SVG")
    g.add_argument("spec")
    g.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    g.add_argument("--view", choices=GRAPH_VIEWS, default="all",
                   help="all (default): the lifecycles, then processes, locks and actions; lifecycles; deps; "
                        "lock-order: the lock classes and the orders lockdep records")
    g.add_argument("--format", choices=["dot", "svg"],
                   help="dot, or svg through graphviz (default: svg when -o ends in .svg, else dot)")
    g.add_argument("-o", "--output", help="write the graph to this file")

    r = sub.add_parser("replay", help="replay a saved ITF trace and say whether it is still a counterexample")
    r.add_argument("spec")
    r.add_argument("trace", help="an ITF file written by `zcheck verify --format json`")
    r.add_argument("-p", "--property", help="the property to check (default: the one the trace names)")
    r.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")

    f = sub.add_parser("fmt", help="rewrite model files in the canonical layout (comments kept)")
    f.add_argument("files", nargs="+", metavar="FILE", help="model files; `-` formats standard input to standard output")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the files not formatted")
    f.add_argument("--allow-renames", action="store_true",
                   help="format even when a statement named after its line (`a.assert@12`) moves (ZC408)")

    m = sub.add_parser("models", help="list the bundled models with a one-line summary each")
    m.add_argument("--paths", action="store_true", help="also print each model's file")

    sub.add_parser("lsp", help="language server over standard input and output (pip install 'zcheck[lsp]')")

    s = sub.add_parser("simulate", help="random runs on the concrete evaluator")
    s.add_argument("spec")
    s.add_argument("--steps", type=_nonneg, default=20)
    s.add_argument("--runs", type=_nonneg, default=100)
    s.add_argument("--seed", type=_nonneg, default=0)
    s.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE")
    return p


def _scheduling(p: argparse.ArgumentParser, jobs_help: str) -> None:
    """`--jobs` and `--scheduler`: where a command's independent jobs run."""
    p.add_argument("--jobs", type=_positive_int, metavar="N", help=jobs_help)
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run the jobs on this Dask scheduler's cluster (default: $ZCHECK_SCHEDULER; "
                        "needs `pip install 'zcheck[cluster]'`)")


GRAPH_VIEWS = ("all", "lifecycles", "deps", "lock-order")  # graph.View's values (not imported: networkx is slow to load)

MAX_TIMEOUT = 1e6  # seconds (11.6 days): larger values, `inf` included, are refused


def _nonneg(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _nonneg(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number >= 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be positive")
    if not value <= MAX_TIMEOUT:  # inf, 1e300: no clock or timer takes them
        raise argparse.ArgumentTypeError(f"the timeout must be at most {MAX_TIMEOUT:,.0f} seconds (omit it for none)")
    return value
