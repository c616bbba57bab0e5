"""Liveness verdicts and shortest lassos on the explicit state graph (independent of zcheck).

Input: a `gen.Model` with `live` properties and fairness on actions/processes, and its
reachable state graph (`explicit.state_graph`: each edge labelled by its fairness group,
the action's name or the instance `P[i]`). Output: per property, whether some fair run
violates it, and the length of the shortest violating lasso.

Semantics (issue 18, written from the contract, not from zcheck's code):
- a run is infinite; a state with no move at all (a dead end) repeats forever, and on that
  tail every group is disabled, so every fairness condition holds;
- weak fairness of a group: enabled in every state from some point on => taken
  infinitely often; strong: enabled in infinitely many states => taken infinitely often;
- `always eventually P` is violated by a fair run where P is false from some point on;
  `eventually always P` by one where P is false infinitely often; `P leads_to Q` by one
  with a state where P holds and Q is false there and forever after;
- a counterexample is a lasso s0 .. sk with sk = sl (l < k; the steps l+1 .. k repeat
  forever) that is fair on its loop and violates the property on it (for leads_to: P at
  some i, Q false on si .. sk and on every loop state), or a dead end sk violating it
  (P false; Q false since a P-state). Its length is k.

Two methods, cross-checked by tests/test_differential_liveness.py:
- `violated`: Emerson-Lei fair-SCC search on the graph restricted to the states the loop
  may visit (for leads_to, the product with a monitor bit m = (m' or P) and not Q, loop
  states m = 1): an SCC with an internal edge is fair when every weak group is taken on
  an internal edge or disabled at one of its states, and every strong group is taken
  inside or enabled nowhere in it; an SCC where a strong group is enabled but never taken
  is searched again without the states enabling it;
- `shortest`: for every loop start u, a breadth-first search over (state, per-group flags
  since the loop start) for the shortest fair loop back to u, plus the shortest prefix to
  u (with m = 1 at u, for leads_to with no P on the loop); dead ends by their distance.
`brute_shortest` enumerates every path up to a bound and checks the definition above
literally; it is exponential, for tests on small models only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import networkx as nx

from .explicit import Graph, eval_expr, instances, state_graph, thaw
from .gen import AE, EA, LT, Live, Model

WEAK, STRONG = "weak", "strong"


@dataclass(frozen=True)
class Problem:
    """One property on one graph: P and Q per state id (Q all False but for leads_to),
    the fairness groups (group -> weak | strong) and the enabled groups per state."""

    graph: Graph
    op: str
    p: tuple
    q: tuple
    fair: tuple  # ((group, kind), ...), sorted
    enabled: tuple  # frozenset of groups per state id

    def dead(self, s: int) -> bool:
        return not self.graph.succ[s]


@dataclass(frozen=True)
class Verdict:
    name: str
    violated: bool  # by the fair-SCC search
    length: Optional[int]  # by the breadth-first lasso search (None: no violating run)


def fairness(model: Model) -> tuple:
    """((group, weak | strong), ...): each instance of a fair process, each fair action."""
    out = [(a.name, a.fair) for a in model.actions if a.fair]
    out += [(inst, p.fair) for p, _, inst in instances(model) if p.fair]
    return tuple(sorted(out))


def problem(model: Model, graph: Graph, live: Live) -> Problem:
    states = [thaw(model, key) for key in graph.keys]
    p = tuple(bool(eval_expr(live.p, s, {})) for s in states)
    q = tuple(bool(eval_expr(live.q, s, {})) for s in states) if live.q is not None else (False,) * len(states)
    enabled = tuple(graph.enabled(s) for s in range(len(states)))
    return Problem(graph, live.op, p, q, fairness(model), enabled)


def check(model: Model, graph: Optional[Graph] = None, limit: Optional[int] = None) -> dict:
    """name -> Verdict for every liveness property of `model`; `limit`: lassos longer than
    it are not searched for (`length` None then means "none up to `limit`")."""
    graph = state_graph(model) if graph is None else graph
    out = {}
    for lv in model.live:
        pb = problem(model, graph, lv)
        out[lv.name] = Verdict(lv.name, violated(pb), shortest(pb, limit))
    return out


# ----------------------------------------------------------------------------- method 1: fair SCCs


def _monitor(pb: Problem, s: int, m: bool) -> bool:
    """leads_to's monitor after entering s: a P-state seen with no Q-state since (s included)."""
    return (m or pb.p[s]) and not pb.q[s]


def _product(pb: Problem) -> tuple:
    """(nodes, succ, loop_ok, accept): nodes are (state, m) reachable from the initial
    states (m is False but for leads_to); succ maps a node to its (group, node) moves;
    a violating loop stays in `loop_ok` nodes and visits an `accept` node."""
    lt = pb.op == LT
    start = [(s, _monitor(pb, s, False) if lt else False) for s in pb.graph.init]
    succ: dict = {}
    todo = list(dict.fromkeys(start))
    while todo:
        node = todo.pop()
        if node in succ:
            continue
        s, m = node
        succ[node] = tuple((g, (t, _monitor(pb, t, m) if lt else False)) for g, t in pb.graph.succ[s])
        todo += [n for _, n in succ[node] if n not in succ]
    if pb.op == AE:
        loop_ok = {n for n in succ if not pb.p[n[0]]}
        accept = set(succ)
    elif pb.op == EA:
        loop_ok = set(succ)
        accept = {n for n in succ if not pb.p[n[0]]}
    else:
        loop_ok = {n for n in succ if n[1]}
        accept = set(succ)
    return list(succ), succ, loop_ok, accept


def violated(pb: Problem) -> bool:
    """Some fair run violates the property: a reachable dead end where the violation holds,
    or a fair SCC (Emerson-Lei) in the allowed part of the monitor product."""
    nodes, succ, loop_ok, accept = _product(pb)
    if any(pb.dead(n[0]) and n in loop_ok and n in accept for n in nodes):
        return True
    en: Callable = lambda n: pb.enabled[n[0]]  # noqa: E731
    return _fair_cycle(loop_ok, succ, en, dict(pb.fair), accept)


def _fair_cycle(nodes: set, succ: dict, en: Callable, fair: dict, accept: set) -> bool:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((u, v) for u in nodes for _, v in succ[u] if v in nodes)
    for comp in nx.strongly_connected_components(g):
        taken = {grp for u in comp for grp, v in succ[u] if v in comp}
        if not any(v in comp for u in comp for _, v in succ[u]) or not comp & accept:
            continue  # no cycle, or none that visits an accepting node
        if any(kind == WEAK and grp not in taken and all(grp in en(u) for u in comp) for grp, kind in fair.items()):
            continue  # every cycle here keeps the group enabled and never takes it
        starved = {grp for grp, kind in fair.items()
                   if kind == STRONG and grp not in taken and any(grp in en(u) for u in comp)}
        if not starved:
            return True  # a cycle through every node and edge of comp is fair
        if _fair_cycle({u for u in comp if not en(u) & starved}, succ, en, fair, accept):
            return True
    return False


# ----------------------------------------------------------------------------- method 2: BFS for the shortest lasso


def _bfs(starts: list, succ: Callable) -> dict:
    dist = {s: 0 for s in starts}
    frontier = list(dist)
    while frontier:
        nxt = []
        for x in frontier:
            for y in succ(x):
                if y not in dist:
                    dist[y] = dist[x] + 1
                    nxt.append(y)
        frontier = nxt
    return dist


def _prefixes(pb: Problem) -> tuple:
    """(d, d1): shortest steps to each state; for leads_to, to each state with the monitor
    set (a P-state on the way, Q false from it on)."""
    g = pb.graph
    d = {s: g.dist[s] for s in range(len(g.keys))}
    if pb.op != LT:
        return d, {}
    starts = list(dict.fromkeys((s, _monitor(pb, s, False)) for s in g.init))
    both = _bfs(starts, lambda n: [(t, _monitor(pb, t, n[1])) for _, t in g.succ[n[0]]])
    return d, {s: k for (s, m), k in both.items() if m}


def _options(pb: Problem, u: int, d: dict, d1: dict) -> list:
    """(prefix length, the loop must visit a marked state) for a loop starting at u."""
    if pb.op == AE:
        return [(d[u], False)] if not pb.p[u] else []
    if pb.op == EA:
        return [(d[u], True)]
    if pb.q[u]:
        return []
    return ([(d1[u], False)] if u in d1 else []) + [(d[u], True)]


def _dead_end(pb: Problem, u: int, d: dict, d1: dict) -> Optional[int]:
    if not pb.dead(u):
        return None
    if pb.op == LT:
        return d1.get(u)
    return None if pb.p[u] else d[u]


def shortest(pb: Problem, limit: Optional[int] = None) -> Optional[int]:
    """The length of the shortest violating lasso or dead end (None: none, or none of
    length <= limit)."""
    d, d1 = _prefixes(pb)
    best = limit + 1 if limit is not None else None
    for u in range(len(pb.graph.keys)):
        k = _dead_end(pb, u, d, d1)
        if k is not None and (best is None or k < best):
            best = k
    cands = sorted((pre, u, need) for u in range(len(pb.graph.keys)) for pre, need in _options(pb, u, d, d1))
    for pre, u, need in cands:
        room = None if best is None else best - pre - 1
        if room is not None and room < 1:
            break  # sorted by prefix: no later candidate can do better
        k = _shortest_loop(pb, u, need, room)
        if k is not None:
            best = pre + k
    return best if best is None or limit is None or best <= limit else None


def _loop_rules(pb: Problem) -> tuple:
    """(may the loop visit state s, is s a marked state) for the property."""
    if pb.op == AE:
        return (lambda s: not pb.p[s]), (lambda s: False)
    if pb.op == EA:
        return (lambda s: True), (lambda s: not pb.p[s])
    return (lambda s: not pb.q[s]), (lambda s: pb.p[s])


def _shortest_loop(pb: Problem, u: int, need: bool, room: Optional[int]) -> Optional[int]:
    """The fewest steps of a loop u -> ... -> u through allowed states that is fair (and
    visits a marked state when `need`), searching over (state, flags): per fair group, weak
    0 = neither taken nor seen disabled / 1 = either; strong 0 = never enabled, 1 = enabled
    but not taken, 2 = taken; and the marked-state bit."""
    allowed, marked = _loop_rules(pb)
    groups = [g for g, _ in pb.fair]
    strong = [k == STRONG for _, k in pb.fair]

    def see(flags: tuple, s: int) -> tuple:
        en = pb.enabled[s]
        out = [(1 if f == 0 and g in en else f) if st else (1 if g not in en else f)
               for g, st, f in zip(groups, strong, flags[:-1])]
        return tuple(out) + (flags[-1] or marked(s),)

    def take(flags: tuple, grp: str) -> tuple:
        return tuple((2 if st else 1) if g == grp else f for g, st, f in zip(groups, strong, flags[:-1])) + flags[-1:]

    def fair_loop(flags: tuple) -> bool:
        ok = all(f != 1 if st else f == 1 for st, f in zip(strong, flags[:-1]))
        return ok and (flags[-1] or not need)

    if not allowed(u):
        return None
    start = (u, see((0,) * len(groups) + (False,), u))
    seen, frontier, k = {start}, [start], 0
    while frontier and (room is None or k < room):
        k += 1
        nxt = []
        for s, flags in frontier:
            for grp, t in pb.graph.succ[s]:
                if not allowed(t):
                    continue
                f2 = see(take(flags, grp), t)
                if t == u and fair_loop(f2):
                    return k
                if (t, f2) not in seen:
                    seen.add((t, f2))
                    nxt.append((t, f2))
        frontier = nxt
    return None


# ----------------------------------------------------------------------------- method 3: every path (tests only)


def _lasso_violates(pb: Problem, path: list, groups: list, l: int) -> bool:
    """The definition, literally: path[l] == path[k] (k = last), loop states path[l+1 .. k],
    loop steps groups[l+1 .. k] (groups[i] is the group of the step into path[i])."""
    k = len(path) - 1
    loop, taken = path[l + 1:], set(groups[l + 1:])
    for grp, kind in pb.fair:
        off = [grp not in pb.enabled[s] for s in loop]
        if grp not in taken and (not any(off) if kind == WEAK else not all(off)):
            return False
    if pb.op == AE:
        return not any(pb.p[s] for s in loop)
    if pb.op == EA:
        return not all(pb.p[s] for s in loop)
    return any(pb.p[path[i]] and not any(pb.q[path[j]] for j in range(min(i, l + 1), k + 1)) for i in range(k + 1))


def _dead_violates(pb: Problem, path: list) -> bool:
    k = len(path) - 1
    if pb.op != LT:
        return not pb.p[path[k]]
    return any(pb.p[path[i]] and not any(pb.q[path[j]] for j in range(i, k + 1)) for i in range(k + 1))


def brute_shortest(pb: Problem, bound: int) -> Optional[int]:
    """The shortest violating lasso or dead end of length <= bound, by enumerating every
    path of up to `bound` steps from every initial state."""
    best: list = [None]

    def walk(path: list, groups: list) -> None:
        k = len(path) - 1
        if best[0] is not None and k >= best[0]:
            return
        s = path[-1]
        if pb.dead(s) and _dead_violates(pb, path):
            best[0] = k
            return
        if any(path[l] == s and _lasso_violates(pb, path, groups, l) for l in range(k)):
            best[0] = k
            return
        if k < bound:
            for grp, t in pb.graph.succ[s]:
                walk(path + [t], groups + [grp])

    for s0 in pb.graph.init:
        walk([s0], [None])
    return best[0]
