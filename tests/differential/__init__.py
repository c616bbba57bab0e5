"""Differential testing of zcheck's bounded model checker against an explicit-state BFS.

`gen` builds small random finite-state ZDL models (as plain dataclasses) and renders
them to ZDL text; `explicit` interprets those dataclasses directly (it never reads ZDL
text and never uses zcheck) and computes the shortest violation/witness depths.
"""
