"""The language server (`zcheck lsp`): editor support over the Language Server Protocol.

Command layer, beside `zcheck.cli`: it imports the front end (spec/, system/build.py)
and the test runner (testing.py); nothing below it imports this package or pygls.
Only `server.py` imports pygls and lsprotocol (the optional extra `zcheck[lsp]`); the
symbol index (`symbols.py`, `collect.py`), hover text (`hover.py`), the analysis of a
text (`analysis.py`) and the check runner (`checks.py`) are plain Python over zcheck's
own types, in zcheck's positions (1-based lines and columns counted in characters).
"""
