"""Coverage-guided fuzzing of the front end with atheris (libFuzzer).

    pip install atheris
    nice -n 10 python tests/fuzz/atheris_parser.py -atheris_runs=200000 tests/fuzz/corpus

Each input is decoded as UTF-8 (undecodable bytes replaced) and given to the parser,
then to the type checker and `fmt`; a `DiagnosticError` is the expected answer to bad
input, anything else is a crash. The seed corpus is every bundled model (copy
models/*.zdl into the corpus folder first to start from them).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from zcheck.diagnostics import DiagnosticError
    from zcheck.fmt import format_text
    from zcheck.spec.frontend import check_file
    from zcheck.spec.parser import parse


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        module = parse(text, "fuzz.zdl")
    except DiagnosticError:
        return
    out = format_text(text, "fuzz.zdl", keep_names=False)
    if parse(out, "fuzz.zdl") != module:
        raise AssertionError("fmt changed the AST")
    try:
        check_file("fuzz.zdl", None, text)
    except DiagnosticError:
        return


def main() -> None:
    sys.setrecursionlimit(20000)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
