"""Promela twin of bench/models/lock_workers.zdl, the SPIN peer of the concurrency benchmark.

``promela_locks(nw)`` returns the text of a Promela model of the same transition
system as

    zcheck verify bench/models/lock_workers.zdl -D NW=nw

with every property zcheck checks there by default: the invariant ``bounded``, the
range checks of the stores (``worker[i].STEP.range@LINE``; choose's holds by
construction, as only 0 .. NSLOT - 1 are offered), ``lock(A)``, ``lock(B)``,
``lockdep``, ``deadlock`` and ``stuck``. ``promela_locks(nw, abba=True)`` is the twin of
the buggy variant ``zdl_abba``: worker 0 takes B at take_a and A at take_b, an AB-BA
inversion (deadlock at depth 6, lockdep at depth 10).

Encoding:

  * globals: ``byte load[NSLOT]``, ``byte moves``, the locks ``A`` and ``B`` as their
    owner (0 = none, worker i is i + 1, as ``_pid`` + 1), and the two lockdep flags
    ``dep_AB`` / ``dep_BA`` (zcheck's hidden ``lockdep.A>B`` / ``lockdep.B>A``: class
    B was taken while A was held, and the reverse). All zero initially, as in ZDL;
  * ``active [NW] proctype worker`` with the ZDL locals ``cur``, ``held``, ``seen``;
    its body is one ``do`` loop (the ZDL ``loop``) whose single option runs the six
    steps in order, each step one ``d_step`` (one pan transition): ``take_a`` and
    ``take_b`` start with their ``acquire`` as the d_step's guard (``A == 0 ->``), so
    the step is enabled exactly when ZDL's is. ``choose`` picks ``cur := any in
    0 .. NSLOT`` with one ``if`` option per value (a d_step must be deterministic), and
    one more option for ``held``, where the ZDL step changes nothing;
  * ``wait[i]``: 1 when worker i is at ``take_a``, 2 at ``take_b``, else 0. It is a
    function of worker i's pc (written in the d_step that moves the pc), so it adds
    no state; it lets the deadlock predicate see who waits where;
  * properties, as ``assert``s inside the d_steps, in ZDL's order: a store asserts its
    value's range before it is made; ``release`` asserts the releaser owns the lock
    (``lock(L)``); ``acquire`` makes zcheck's lockdep checks and updates the flags
    (docs/language.md §6.7, zcheck/system/threads.py ``lockdep_sites``). The state
    predicates ``bounded`` and ``deadlock`` (a wait-for cycle: with two locks, a worker
    waiting for a lock it holds, or two workers each waiting for the lock the other
    holds) are asserted at the end of every step but ``choose`` (``check="steps"``):
    choose writes only ``cur``, which neither reads, and moves the pc from choose to
    peek, neither a waiting position. Keeping choose local is what lets SPIN's
    partial-order reduction take it alone; ``check="every"`` asserts them in choose as
    well (for measuring that). Both hold in the initial state (no load, no lock held);
  * ``stuck`` is SPIN's own invalid-end-state check, which pan makes under -DSAFETY: no
    ``end`` label, and the workers never finish, so every state with no executable
    transition is one (zcheck: some instance not done and nothing enabled).

State count: with pan's partial-order reduction off (-DNOREDUCE), pan stores exactly
the reachable states of the ZDL model (7,351 for NW = 2, zcheck's explicit count;
tests/test_bench_spin_locks.py checks it). With it on, fewer.
"""

from __future__ import annotations

NSLOT = 3


def deadlock_predicate(nw: int) -> str:
    """A wait-for cycle among ``nw`` workers and the two locks, as a Promela expression."""
    terms = [f"(wait[{i}] == 1 && A == {i + 1})" for i in range(nw)]
    terms += [f"(wait[{i}] == 2 && B == {i + 1})" for i in range(nw)]
    terms += [f"(wait[{i}] == 1 && A == {j + 1} && wait[{j}] == 2 && B == {i + 1})"
              for i in range(nw) for j in range(nw) if i != j]
    return " || ".join(terms)


def _choose(check: str) -> str:
    tail = "; check()" if check == "every" else ""
    opts = [f"     :: d_step {{ held -> skip{tail} }}\n"]
    opts += [f"     :: d_step {{ !held -> cur = {v}{tail} }}\n" for v in range(NSLOT)]
    return "     if                    /* choose: if !held { cur := any in 0 .. NSLOT } */\n" + "".join(opts) + "     fi;\n"


def _acquire(lock: str, other: str) -> str:
    """``acquire lock`` after its guard: zcheck's lockdep checks and updates, then the owner."""
    return (f"assert({lock} != ME);                /* lockdep: {lock} not held already */\n"
            f"       assert(!({other} == ME && dep_{lock}{other}));   /* lockdep: taking {lock} holding {other}, "
            f"{lock} before {other} recorded */\n"
            f"       dep_{other}{lock} = dep_{other}{lock} || {other} == ME;\n"
            f"       {lock} = ME")


def _take(first: str, second: str, abba: bool) -> str:
    """The body of an acquire step: ``first`` (``second`` for worker 0 with ``abba``)."""
    if not abba:
        return f"{first} == 0 ->\n       {_acquire(first, second)};\n"
    return (f"(_pid == 0 && {second} == 0 || _pid != 0 && {first} == 0) ->\n"
            f"       if\n       :: _pid == 0 ->\n       {_acquire(second, first)}\n"
            f"       :: else ->\n       {_acquire(first, second)}\n       fi;\n")


def _wait(lock: str, abba: bool) -> str:
    """wait[_pid] for a worker about to acquire ``lock`` (1: A, 2: B; worker 0 swaps with abba)."""
    code, swapped = (1, 2) if lock == "A" else (2, 1)
    return f"wait[_pid] = (_pid == 0 -> {swapped} : {code})" if abba else f"wait[_pid] = {code}"


def _release(lock: str) -> str:
    """``release lock``, checking ``lock(L)``. Unchanged with abba: worker 0 holds both
    locks at drop_b and drop_a, as the others do."""
    return f"assert({lock} == ME);                /* lock({lock}) */\n       {lock} = 0;\n"


def _steps(abba: bool) -> str:
    return f"""\
     d_step {{              /* peek */
       assert(load[cur] < 4);          /* worker[i].peek.range: seen in 0 .. 4 */
       seen = load[cur];
       {_wait("A", abba)};
       check()
     }};
     d_step {{              /* take_a: acquire A */
       {_take("A", "B", abba)}       {_wait("B", abba)};
       check()
     }};
     d_step {{              /* take_b: acquire B, then move a token */
       {_take("B", "A", abba)}       wait[_pid] = 0;
       if
       :: held ->
          assert(load[cur] - 1 >= 0 && load[cur] - 1 < 4);   /* worker[i].take_b.range */
          load[cur] = load[cur] - 1;
          held = false
       :: else ->
          if
          :: load[cur] < 3 && seen < 2 ->
             assert(load[cur] + 1 >= 0 && load[cur] + 1 < 4);
             load[cur] = load[cur] + 1;
             held = true
          :: else -> skip
          fi
       fi;
       check()
     }};
     d_step {{              /* drop_b: release B */
       {_release("B")}       check()
     }};
     d_step {{              /* drop_a: release A */
       {_release("A")}       assert((moves + 1) % 4 < 4);    /* worker[i].drop_a.range */
       moves = (moves + 1) % 4;
       check()
     }}
"""


def promela_locks(nw: int, *, check: str = "steps", abba: bool = False) -> str:
    """The Promela twin of lock_workers.zdl for NW = ``nw`` (see the module docstring);
    with ``abba``, of its buggy variant ``zdl_abba`` (worker 0 takes B, then A)."""
    if check not in ("steps", "every"):
        raise ValueError(f"check must be 'steps' or 'every', got {check!r}")
    if not 1 <= nw <= 250:
        raise ValueError(f"nw must be in 1 .. 250, got {nw}")
    bounded = " && ".join(f"load[{s}] <= 3" for s in range(NSLOT))
    return f"""\
/* Generated by bench/spin/promela_locks.py: the Promela twin of bench/models/lock_workers.zdl
   with NW = {nw}, NSLOT = {NSLOT}{"; buggy: worker 0 takes B, then A" if abba else ""}; state predicates checked: {check}. */

#define NW {nw}
#define NSLOT {NSLOT}
#define ME (_pid + 1)

byte load[NSLOT];   /* tokens in each slot */
byte moves;         /* completed moves, modulo 4 */
byte A;             /* lock A: its owner, 0 = none, worker i = i + 1 */
byte B;             /* lock B */
bool dep_AB;        /* lockdep: B was taken while A was held */
bool dep_BA;        /* lockdep: A was taken while B was held */
byte wait[NW];      /* 1: worker i is at take_a, 2: at take_b, 0: elsewhere */

/* invariant bounded: forall s: slot :: load[s] <= 3 */
#define bounded ({bounded})
/* implicit deadlock: a wait-for cycle */
#define deadlock ({deadlock_predicate(nw)})

inline check() {{
  assert(bounded);
  assert(!deadlock)
}}

active [NW] proctype worker() {{
  byte cur = 0;
  bool held = false;
  byte seen = 0;
  do
  :: 
{_choose(check)}{_steps(abba)}  od
}}
"""


_ABBA = (
    ("  step take_a {\n    acquire A\n", "  step take_a {\n    if self == 0 { acquire B } else { acquire A }\n"),
    ("  step take_b {\n    acquire B\n", "  step take_b {\n    if self == 0 { acquire A } else { acquire B }\n"),
)


def zdl_abba(source: str) -> str:
    """The buggy variant of lock_workers.zdl's text: worker 0 takes B, then A (an AB-BA
    inversion: ``deadlock`` and ``lockdep`` are violated, and ``stuck`` with NW = 2)."""
    for old, new in _ABBA:
        if source.count(old) != 1:
            raise ValueError(f"lock_workers.zdl changed: {old.strip()!r} is not there once")
        source = source.replace(old, new)
    return source.replace("model lock_workers", "model lock_workers_abba", 1)


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    if len(sys.argv) < 2:
        sys.exit("usage: promela_locks.py NW [every] [abba]")
    sys.stdout.write(promela_locks(int(sys.argv[1]), check="every" if "every" in sys.argv[2:] else "steps",
                                   abba="abba" in sys.argv[2:]))
