"""Promela twin of models/section_hotplug.zdl, the SPIN peer in zcheck's benchmarks.

``promela(n, boot, buggy)`` returns the text of a Promela model of the same
transition system as

    zcheck verify models/section_hotplug.zdl -D NSECT=n -D BOOT=boot \
        [-D BUG_ONLINE_DEVICE=true]

Encoding (what a SPIN user would write for this model, nothing deliberately slow):

  * state: ``byte kind[N]; bool reserved[N]; bool buddy[N]`` (kind is ABSENT=0,
    RAM=1, DEVICE=2, as ``#define`` constants), all zero initially, as the ZDL
    defaults are ABSENT / false;
  * one process, ``hotplug``. Its first statement is one ``d_step`` that puts the
    boot sections [0, BOOT) in RAM and in the buddy (the ZDL ``init`` block) and
    checks the invariants in the initial state. Then it loops forever
    (``end: do ... od``) over 5 * N options, one per (action, section): each is
    an ``inline`` (add_ram, add_dev, online, offline, remove) whose body is one
    ``d_step`` that starts with the action's ``require`` guards as its guard, so
    the option is executable exactly when the ZDL action is enabled for that
    ``s``, then makes the action's updates, then asserts the invariants. The
    guards are the ZDL ones verbatim, including ``s >= BOOT`` for offline and
    remove and ``BUG_ONLINE_DEVICE && kind[s] == DEVICE`` for online; ``sect(s)``
    holds by construction, as only 0 .. N-1 are offered;
  * the section is chosen by the ``do`` itself rather than with
    ``select(s : 0 .. N-1)``: select is a loop of its own that stores a state per
    value of ``s`` (and puts ``s`` in the state vector), which would inflate the
    state count and the trail; with one option per section every transition of
    pan is exactly one ZDL action;
  * invariants: ``device_not_allocatable`` and ``buddy_not_reserved`` are checked
    over all N sections, as two ``assert``s at the end of every ``d_step`` (and of
    the boot ``d_step``), so every reachable state is checked when it is made,
    with no monitor process and no never claim: a monitor would add its own
    program counter to the state vector and interleave with the actions (an
    ``active proctype monitor() { assert(...) }`` in place of the asserts stores
    771 states instead of 257 for N = 6, BOOT = 2);
  * ``check="local"`` (not the default) asserts the invariants only for the section
    the action changed, which is enough (every action changes one section, and the
    boot d_step still checks them all) but is a frame argument made by hand. At
    N = 64 it compiles in about 8 s instead of about 45-60 s (gcc on 320 copies of
    a 128-conjunct assert) and pan stores about 45% more states per second; the
    benchmark numbers use the literal, full check;
  * the loop head carries an ``end`` label: in the fixed model a state in which
    every non-boot section is DEVICE enables no action (ZDL has no deadlock
    property), and without the label pan would report it as an invalid end state.

State count: pan stores every reachable state of the ZDL model once, plus one:
the state before the boot ``d_step`` (all sections ABSENT, the process at its
first statement). Sections are independent, so for the fixed model that is
4 ** (N - BOOT) + 1 (a non-boot section is ABSENT, RAM reserved, RAM in the
buddy or DEVICE reserved; a boot section stays RAM in the buddy), and
5 ** (N - BOOT) + 1 with the bug (DEVICE in the buddy as well), up to the first
violation, where pan stops.

Depth: the boot ``d_step`` is one pan step and each action is one more, so a
trail of depth d is d - 1 actions; bench/spin/run_spin.py counts the actions of
a trail by replaying it with ``spin -t -p`` (see there).
"""

from __future__ import annotations

ACTIONS = ("add_ram", "add_dev", "online", "offline", "remove")


def promela(n: int, boot: int, buggy: bool, *, check: str = "full") -> str:
    """The Promela twin for NSECT = ``n``, BOOT = ``boot``, BUG_ONLINE_DEVICE = ``buggy``.

    ``check="full"`` (the default, used for the benchmark numbers) asserts both
    invariants over all sections after every action; ``check="local"`` asserts them
    only for the section the action changed (see the module docstring).
    """
    if check not in ("full", "local"):
        raise ValueError(f"check must be 'full' or 'local', got {check!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= boot <= n:
        raise ValueError(f"boot must be in 0 .. n, got {boot}")
    if n > 255:
        # sections are indexed by literal constants; nothing here needs more, but the
        # byte-sized kind values and pan's default vector size are sized for this
        raise ValueError(f"n must be <= 255, got {n}")

    dna = " && ".join(f"(!buddy[{s}] || kind[{s}] != DEVICE)" for s in range(n))
    bnr = " && ".join(f"(!buddy[{s}] || !reserved[{s}])" for s in range(n))
    boot_stmts = "".join(f"    kind[{s}] = RAM; buddy[{s}] = true;\n" for s in range(boot))
    act_check = "check()" if check == "full" else "lcheck(s)"
    options = "".join(f"  :: {a}({s})\n" for s in range(n) for a in ACTIONS)

    return f"""\
/* Generated by bench/spin/promela.py: the Promela twin of models/section_hotplug.zdl
   with NSECT = {n}, BOOT = {boot}, BUG_ONLINE_DEVICE = {"true" if buggy else "false"}; invariants checked: {check}. */

#define N {n}
#define BOOT {boot}
#define BUG_ONLINE_DEVICE {1 if buggy else 0}

#define ABSENT 0
#define RAM 1
#define DEVICE 2

byte kind[N];       /* ABSENT, RAM or DEVICE */
bool reserved[N];   /* PG_reserved on the section's pages */
bool buddy[N];      /* the section's pages are free in the buddy */

/* invariant device_not_allocatable: forall s :: buddy[s] -> kind[s] != DEVICE */
#define device_not_allocatable ({dna})
/* invariant buddy_not_reserved: forall s :: buddy[s] -> !reserved[s] */
#define buddy_not_reserved ({bnr})

inline check() {{
  assert(device_not_allocatable);
  assert(buddy_not_reserved)
}}

/* the invariants for section s alone (check="local") */
inline lcheck(s) {{
  assert(!buddy[s] || kind[s] != DEVICE);
  assert(!buddy[s] || !reserved[s])
}}

inline add_ram(s) {{
  d_step {{
    kind[s] == ABSENT ->
    kind[s] = RAM;
    reserved[s] = true;
    {act_check}
  }}
}}

inline add_dev(s) {{
  d_step {{
    kind[s] == ABSENT ->
    kind[s] = DEVICE;
    reserved[s] = true;
    {act_check}
  }}
}}

inline online(s) {{
  d_step {{
    (reserved[s] && !buddy[s] &&
     (kind[s] == RAM || (BUG_ONLINE_DEVICE && kind[s] == DEVICE))) ->
    reserved[s] = false;
    buddy[s] = true;
    {act_check}
  }}
}}

inline offline(s) {{
  d_step {{
    (kind[s] == RAM && buddy[s] && s >= BOOT) ->
    buddy[s] = false;
    reserved[s] = true;
    {act_check}
  }}
}}

inline remove(s) {{
  d_step {{
    (kind[s] == RAM && !buddy[s] && s >= BOOT) ->
    kind[s] = ABSENT;
    reserved[s] = false;
    {act_check}
  }}
}}

active proctype hotplug() {{
  d_step {{   /* init: boot RAM sections [0, BOOT) are RAM and in the buddy */
{boot_stmts}    check()
  }};
end:
  do
{options}  od
}}
"""


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    args = sys.argv[1:]
    if len(args) not in (2, 3):
        sys.exit("usage: promela.py N BOOT [buggy]")
    sys.stdout.write(promela(int(args[0]), int(args[1]), len(args) == 3 and args[2] in ("1", "true", "buggy")))
