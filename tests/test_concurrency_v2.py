"""ZDL concurrency v2 (/work/shared/ZDL-concurrency.md, docs/language.md §6): every example
of the contract completed into a runnable model, the classic lock bugs (AB-BA, RCU
use-after-free) with exact verdicts and depths, the RCU grace period cross-checked against
an explicit-state enumeration written here, the new diagnostics, `fmt` on the new syntax,
and the `--no-deadlock`/`-p deadlock` opt-outs.

Most checks run in-process through the API with `--engine bmc` semantics (small depths);
the few that need a proof use the default engine, and the command-line behaviour (exit
codes, the text of deadlock and lockdep counterexamples) goes through `python -m zcheck`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from zcheck import api
from zcheck.counterexamples.values import value_text
from zcheck.fmt import format_text
from zcheck.spec.parser import parse
from zcheck.system.ir import System

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- helpers


def zcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zcheck", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def write(tmp_path: Path, text: str, name: str = "m.zdl") -> Path:
    spec = tmp_path / name
    spec.write_text(text)
    return spec


def run(text: str, props: list[str] | None = None, depth: int = 8, engine: str = "bmc",
        overrides: dict[str, str] | None = None) -> tuple[System, dict[str, api.PropertyResult]]:
    """Build and check `text` in-process: (system, results by property name)."""
    system = api.build("m.zdl", overrides, None, text=text)
    r = api.verify_system(system, api.select(system, props), depth, engine=engine)
    return system, {x.name: x for x in r.results}


def verdicts(results: dict[str, api.PropertyResult]) -> dict[str, tuple[str, int | None]]:
    return {n: (r.verdict, r.depth) for n, r in results.items()}


def shown(system: System, result: api.PropertyResult) -> list[dict[str, str]]:
    """The states of a counterexample or witness as the text report writes the values
    (owners and pcs by name), state 0 first."""
    assert result.trace is not None, (result.name, result.verdict, result.error)
    types = {v.name: v.type for v in system.vars}
    states = [result.trace.initial] + [s.state for s in result.trace.steps]
    return [{n: value_text(v, types[n]) for n, v in st.items() if n in types} for st in states]


def steps(result: api.PropertyResult) -> list[str]:
    assert result.trace is not None
    return [s.transition for s in result.trace.steps]


def assert_true_acquisitions(system: System, r: api.PropertyResult) -> None:
    """Each `step N (X) took/takes `L` while holding `H`` in a lockdep explanation is a fact
    of the trace: step N is X's, it takes L, and X held H before it."""
    assert r.trace is not None and r.trace.explanation is not None
    text = r.trace.explanation.text
    st = shown(system, r)
    quoted = re.findall(r"step (\d+) \(([^)]+)\) (?:took|takes) `(\w+)` while holding `(\w+)`", text)
    assert len(quoted) >= 2, text  # the reverse order, directly or as a chain, and the step now
    for n, who, lock, held in quoted:
        inst = who.split(".")[0]
        k = int(n)
        assert steps(r)[k - 1] == who, text
        assert not holds(st[k - 1], lock, inst) and holds(st[k], lock, inst), f"{text}: step {k} did not take `{lock}`"
        assert holds(st[k - 1], held, inst), f"{text}: {inst} did not hold `{held}` before step {k}"


def holds(state: dict[str, str], lock: str, inst: str) -> bool:
    """`inst` holds scalar lock `lock` in a shown state (as owner, or a read hold of an rwsem)."""
    return state[lock] == inst or state.get(f"{lock}.read[{inst}]", "0") != "0"


# ---------------------------------------------------------------- models

ABBA = """
model abba
lock a
lock b
process p {
  step s1 { acquire a }
  step s2 { acquire b }
  step s3 { release b; release a }
}
process q {
  step t1 { acquire b }
  step t2 { acquire a }
  step t3 { release a; release b }
}
"""
AB_FIXED = ABBA.replace("step t1 { acquire b }", "step t1 { acquire a }").replace(
    "step t2 { acquire a }", "step t2 { acquire b }")

# the §3 example, completed: two sysfs writers onlining a block under its device lock
PROCEDURE = """
model online
const BLOCKS: int = 2
type block = 0 .. BLOCKS
enum bstate { OFFLINE, ONLINE }
var state: map[block] bstate = OFFLINE
lock device_lock[BLOCKS]
procedure online_block(b: block) {      // steps like a process body; its own `var`s allowed
  step check { bug_on state[b] != OFFLINE }
  step set   { state[b] := ONLINE }
}
process sysfs_online[2](b: block) {
  step lock  { acquire device_lock[b] }
  call online_block(b)                  // the procedure's steps run here, in order
  step unlock { release device_lock[b] }
}
cover at_check: at(sysfs_online[0], online_block.check)
cover at_check_short: at(sysfs_online[1], check)
invariant check_under_lock: forall i: 0 .. 2 :: at(sysfs_online[i], online_block.check)
  -> held_by(device_lock[sysfs_online[i].b], sysfs_online[i])
"""

RCU = """
model rcu_uaf
const GRACE: bool = true
var ptr: bool = true          // the object is published
var freed: bool = false       // the object has been freed
process reader[2] {
  var p: bool = false
  step lock   { rcu_read_lock }
  step load   { p := ptr }
  step deref  { bug_on uaf: p && freed }
  step unlock { rcu_read_unlock }
}
process remover {
  step clear { ptr := false; if GRACE { synchronize_rcu } }
  step free  { freed := true }
}
cover late_reader: freed && at(reader[1], deref)
cover freed_after_load: freed && reader[0].p && !at(reader[0], crashed)
cover both_readers_done: freed && at(reader[0], done) && at(reader[1], done)
"""


# ---------------------------------------------------------------- 1. the contract's examples


LOCK_KINDS = """
model lock_kinds
const BLOCKS: int = 2
lock device_hotplug                    // mutex (v1): free or held by one owner
lock zone_span: spinlock               // checked like a mutex (sleeping is not modelled)
rwsem mem_hotplug                      // readers share; a writer excludes readers and writers
lock device_lock[BLOCKS]               // an array of locks: device_lock[b] for b in 0 .. BLOCKS
rwsem hotplug_sems[2]                  // arrays of any lock kind
var got: bool = false
var got_r: bool = false
var got_w: bool = false
process walker[2](b: 0 .. BLOCKS) {
  var page_ok: bool = false
  step rd    { down_read mem_hotplug; down_read hotplug_sems[b] }
  step read  { page_ok := true }
  step unrd  { up_read hotplug_sems[b]; up_read mem_hotplug; page_ok := false }
}
process unplug {
  step begin { acquire device_hotplug; acquire zone_span }
  step wr    { down_write mem_hotplug }
  step dl    { acquire device_lock[1] }
  step tr    { let ok = try_acquire device_lock[0]; got := ok }
  step fin   { release device_lock[1]; up_write mem_hotplug; release zone_span; release device_hotplug }
}
process prober {
  step tr {
    let r = down_read_trylock hotplug_sems[0]
    let w = down_write_trylock hotplug_sems[1]
    got_r := r; got_w := w
  }
}
invariant owners: owner(device_hotplug) == none || owner(device_hotplug) == unplug
invariant writer_excl: writer(mem_hotplug) == unplug -> readers(mem_hotplug) == 0
invariant readers_count: readers(mem_hotplug) == (if at(walker[0], read) || at(walker[0], unrd) then 1 else 0)
  + (if at(walker[1], read) || at(walker[1], unrd) then 1 else 0)
invariant local_ok: forall i: 0 .. 2 :: walker[i].page_ok -> held_by(mem_hotplug, walker[i])
invariant at_held: forall i: 0 .. 2 :: at(walker[i], read) -> held_by(hotplug_sems[walker[i].b], walker[i])
invariant never_env: owner(zone_span) != env && writer(mem_hotplug) != env
cover both_in: at(walker[0], read) && at(walker[1], read)
cover trylock_won: got && owner(device_lock[0]) == unplug
cover write_trylock_lost_to_reader: !got_w && at(prober, done) && readers(hotplug_sems[1]) > 0
cover read_trylock_won: got_r && held_by(hotplug_sems[0], prober)
"""


def test_section1_lock_kinds_and_arrays_every_statement() -> None:
    system, res = run(LOCK_KINDS, depth=5)
    v = verdicts(res)
    assert v["both_in"] == ("reached", 2)
    assert v["trylock_won"] == ("reached", 4)  # begin, wr, dl, tr
    assert v["write_trylock_lost_to_reader"] == ("reached", 2)  # a walker reads sems[1], then the prober tries
    assert v["read_trylock_won"] == ("reached", 1)
    for inv in ("owners", "writer_excl", "readers_count", "local_ok", "at_held", "never_env"):
        assert v[inv] == ("holds", 5), inv
    for lk in ("device_hotplug", "zone_span", "mem_hotplug", "device_lock", "hotplug_sems"):
        assert v[f"lock({lk})"] == ("holds", 5), lk
    assert v["deadlock"][0] == v["stuck"][0] == v["lockdep"][0] == "holds"
    # lock variables print as owner names
    st = shown(system, res["trylock_won"])
    assert st[0]["device_hotplug"] == "none"
    assert st[1]["device_hotplug"] == "unplug[0]" and st[1]["zone_span"] == "unplug[0]"
    assert st[2]["mem_hotplug"] == "unplug[0]"
    assert st[-1]["unplug[0].pc"] == "fin"


def test_section1_trylock_that_fails_changes_nothing() -> None:
    text = """
model trylock
lock l
var res: bool = true
process holder {
  step take { acquire l }
  step keep { res := res }
}
process trier {
  step try { let ok = try_acquire l; res := ok }
}
cover try_failed: !res && owner(l) == holder && at(trier, done)
cover try_won: res && owner(l) == trier
"""
    system, res = run(text, depth=3)
    assert verdicts(res)["try_failed"] == ("reached", 2)
    assert verdicts(res)["try_won"] == ("reached", 1)
    st = shown(system, res["try_failed"])
    assert st[1]["l"] == "holder[0]" and st[2]["l"] == "holder[0]"  # the failed trylock took nothing
    assert steps(res["try_failed"]) == ["holder[0].take", "trier[0].try"]


def test_read_trylock_inside_a_call_makes_a_reader() -> None:
    """The readers of an rwsem are found by walking every expression of the steps; the
    hand-written walk that did this once skipped call arguments (and indexes, ranges,
    quantifier bounds), so `f(down_read_trylock s)` made no reader slot and verify
    failed with an internal error (KeyError `s.read[prober[0]]`)."""
    text = """
model m
rwsem s
var got: bool = false
fn id(b: bool): bool = b
process prober {
  step tr { let r = id(down_read_trylock s); got := r }
}
cover won: got && held_by(s, prober)
"""
    system, res = run(text, depth=2)
    assert verdicts(res)["won"] == ("reached", 1)


def test_section1_global_action_owns_a_lock_as_env() -> None:
    text = """
model envlock
lock l
var x: 0 .. 4 = 0
action grab() { acquire l; x := 1 }
action drop() { require owner(l) == env; release l }
process p {
  step a { acquire l }
  step b { release l }
}
cover env_holds: owner(l) == env && held_by(l, env) && x == 1
invariant only_env_or_p: owner(l) == none || owner(l) == env || owner(l) == p
"""
    system, res = run(text, depth=4)
    v = verdicts(res)
    assert v["env_holds"] == ("reached", 1)
    assert v["only_env_or_p"] == ("holds", 4)
    assert v["lock(l)"] == ("holds", 4)  # every release is by the owner
    assert shown(system, res["env_holds"])[1]["l"] == "env"


def test_section1_release_by_non_owner_and_unbalanced_unlocks_violate_lock() -> None:
    text = """
model misuse
lock l
rwsem s
process holder {
  step take { acquire l }
  step keep { release l }
}
process thief {
  step r { await owner(l) == holder; release l }
}
process bad_up {
  step u { up_read s }
}
process bad_upw {
  step u { up_write s }
}
"""
    system, res = run(text, depth=3)
    v = verdicts(res)
    assert v["lock(l)"] == ("violated", 2)
    assert steps(res["lock(l)"]) == ["holder[0].take", "thief[0].r"]
    assert v["lock(s)"] == ("violated", 1)


WALKER = """
model walker
const UNLOCKED_READ: bool = false
type pfn = 0 .. 4
enum memmap_t { UNINIT, INIT }
var memmap: map[pfn] memmap_t = INIT
lock lk
process walker[2](p: pfn) {             // 2 instances, each picks p once, at start
  var page_ok: bool = false             // per-instance local state
  step lookup { if !UNLOCKED_READ { acquire lk }; page_ok := memmap[p] == INIT }
  step read   { if page_ok { assert memmap[p] == INIT } }
  step unlock { if !UNLOCKED_READ { release lk } }
}
process unplug {
  step begin  { acquire lk }
  step clear  { memmap[0 .. 4] := UNINIT }
  step finish { release lk }
}
invariant read_locked: forall i: 0 .. 2 :: at(walker[i], read) -> held_by(lk, walker[i])
invariant page_ok_is_local: walker[0].page_ok -> !at(walker[0], lookup)
cover walker1_reading: at(walker[1], read) && walker[1].page_ok && owner(lk) == walker[1]
"""


def test_section2_instances_owners_at_and_locals_in_properties() -> None:
    system, res = run(WALKER, props=["read_locked", "page_ok_is_local"], depth=6, engine="auto")
    assert verdicts(res) == {"read_locked": ("proved", None), "page_ok_is_local": ("proved", None)}
    system, res = run(WALKER, depth=6)
    v = verdicts(res)
    assert v["walker1_reading"] == ("reached", 1)
    assert v["walker.read.assert@11"] == ("holds", 6)
    # reading outside the lock: the contract's invariant fails at once, and the TOCTOU assert
    system, res = run(WALKER, depth=6, overrides={"UNLOCKED_READ": "true"})
    v = verdicts(res)
    assert v["read_locked"] == ("violated", 1)
    assert v["walker.read.assert@11"] == ("violated", 4)  # lookup, begin, clear, read


def test_section2_self_is_the_instance_index() -> None:
    text = """
model selfidx
var slot: map[0 .. 3] 0 .. 4 = 0
lock per_cpu[3]
process cpu[3] {
  step a { acquire per_cpu[self]; slot[self] := self + 1 }
}
invariant own_slot: forall i: 0 .. 3 :: at(cpu[i], done) -> slot[i] == i + 1 && owner(per_cpu[i]) == cpu[i]
cover all_done: at(cpu[0], done) && at(cpu[1], done) && at(cpu[2], done)
"""
    system, res = run(text, depth=3)
    v = verdicts(res)
    assert v["own_slot"] == ("holds", 3)
    assert v["all_done"] == ("reached", 3)


def test_section3_procedure_example() -> None:
    system, res = run(PROCEDURE, depth=7)
    v = verdicts(res)
    assert v["at_check"] == ("reached", 1)
    assert v["at_check_short"] == ("reached", 1)
    assert v["check_under_lock"] == ("holds", 7)
    bug = "sysfs_online.online_block.check.bug_on@9"
    assert v[bug] == ("violated", 6)  # both writers on one block: the second finds it ONLINE
    names = steps(res[bug])
    first, second = names[0].split(".")[0], names[4].split(".")[0]
    assert first != second
    assert names == [f"{first}.lock", f"{first}.online_block.check", f"{first}.online_block.set",
                     f"{first}.unlock", f"{second}.lock", f"{second}.online_block.check"]
    st = shown(system, res[bug])
    assert st[1][f"{first}.pc"] == "online_block.check"
    assert st[3][f"{first}.pc"] == "unlock" and st[4][f"{first}.pc"] == "done"
    assert st[6][f"{second}.pc"] == "crashed"
    assert first in st[1]["device_lock"] and st[4]["device_lock"] == "all none"
    assert v["deadlock"][0] == "holds" and v["stuck"][0] == "holds"


def test_section3_procedure_text_trace_names(tmp_path: Path) -> None:
    spec = write(tmp_path, PROCEDURE)
    proc = zcheck("verify", str(spec), "--engine", "bmc", "--depth", "6", "-p",
                  "sysfs_online.online_block.check.bug_on@9")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"step 2  sysfs_online\[[01]\]\.online_block\.check    \[", out)
    assert re.search(r"step 6  sysfs_online\[[01]\]\.online_block\.check    \[", out)
    assert re.search(r"sysfs_online\[[01]\]\.pc: online_block\.check -> crashed", out)
    assert re.search(r"device_lock\[\d\]: none -> sysfs_online\[[01]\]", out)
    assert not re.search(r"\.pc: \d", out), "a program counter printed as a number"


def test_section3_procedure_called_twice_locals_restart_and_args_at_first_step() -> None:
    text = """
model proc2
var total: 0 .. 8 = 0
var x: 0 .. 4 = 0
var got: 0 .. 4 = 0
procedure f(v: 0 .. 4) {
  var cnt: 0 .. 4 = 0
  step inc { cnt := cnt + 1; total := total + cnt }
  step rec { got := v }
}
process p {
  step s { x := 1 }
  call f(x)
  step mid { x := 2 }
  call f(x)
}
invariant total_small: total <= 2
cover total_two: total == 2 && at(p, done)
cover got_two: got == 2
invariant got_follows: at(p, mid) -> got == 1
cover in_f_second_call: at(p, f.inc) && total == 1
"""
    system, res = run(text, depth=6)
    v = verdicts(res)
    assert v["total_small"] == ("holds", 6)  # `cnt` starts again at 0 at the second call
    assert v["total_two"] == ("reached", 6)
    assert v["got_two"] == ("reached", 6)
    assert v["got_follows"] == ("holds", 6)
    assert v["in_f_second_call"] == ("reached", 4)
    # the second call's steps are named as its pcs are (FINDINGS.md #14)
    assert steps(res["total_two"]) == ["p[0].s", "p[0].f.inc", "p[0].f.rec", "p[0].mid", "p[0].f.inc#2",
                                       "p[0].f.rec#2"]


def test_section4_bug_on_names_and_assert_keeps_going() -> None:
    text = """
model bugs
var x: 0 .. 4 = 0
var went_on: bool = false
process p {
  step a { x := 1 }
  step b { bug_on x == 1 }
  step c { went_on := true }
}
process q {
  step a { assert x == 0 }
  step b { went_on := true }
}
action poke() { require x == 0; x := 2; bug_on act_bug: x == 2; x := 3 }
cover q_went_on_after_assert: went_on && at(q, done) && x == 1
invariant p_never_goes_on: !at(p, c)
"""
    system, res = run(text, depth=4)
    v = verdicts(res)
    assert v["p.b.bug_on@7"] == ("violated", 2)
    assert v["q.a.assert@11"] == ("violated", 2)
    assert v["q_went_on_after_assert"] == ("reached", 3)  # assert: reported, the path goes on
    assert v["p_never_goes_on"] == ("holds", 4)  # bug_on: the instance stops
    # bug_on in a global action ends the action there: x stays 2
    assert v["act_bug"] == ("violated", 1)
    assert shown(system, res["act_bug"])[1]["x"] == "2"
    assert shown(system, res["p.b.bug_on@7"])[2]["p[0].pc"] == "crashed"


def test_section5_one_property_at_several_sites() -> None:
    text = """
model sites
const Q_FIRST: bool = true
var x: 0 .. 4 = 0
var y: 0 .. 4 = 0
process p {
  step a { x := 1 }
  step b { assert same: x == 0 }
}
process q {
  step a { y := 1 }
  step b { bug_on same: Q_FIRST && y == 1 }
}
"""
    for q_first in ("true", "false"):
        system, res = run(text, depth=3, overrides={"Q_FIRST": q_first})
        r = res["same"]
        assert (r.verdict, r.depth) == ("violated", 2)
        assert r.trace is not None and r.trace.failing_span is not None
        assert r.trace.failing_span.line in (8, 12)
        assert steps(r)[-1] in ("p[0].b", "q[0].b")
        assert r.trace.failing_span.line == (8 if steps(r)[-1] == "p[0].b" else 12)
        assert [n for n in res if "same" in n] == ["same"]
    # only the assert site can fail when Q_FIRST is false
    system, res = run(text, depth=3, overrides={"Q_FIRST": "false"})
    assert res["same"].trace.failing_span.line == 8  # type: ignore[union-attr]


def test_section6_rcu_example_section_nests() -> None:
    text = """
model rcu_nest
var ptr: bool = true
var freed: bool = false
process r {
  var p: bool = false
  step e1 { rcu_read_lock }
  step e2 { rcu_read_lock }
  step load { p := ptr }
  step l1 { rcu_read_unlock }
  step use { bug_on uaf: p && freed }
  step l2 { rcu_read_unlock }
}
process s {
  step clear { ptr := false; synchronize_rcu }
  step free { freed := true }
}
"""
    system, res = run(text, depth=8)
    assert verdicts(res)["uaf"] == ("holds", 8)  # the inner unlock does not end the section
    assert verdicts(res)["lock(rcu)"] == ("holds", 8)
    system, res = run(text.replace("step e2 { rcu_read_lock }", "step e2 { ptr := ptr }"), depth=8)
    assert verdicts(res)["uaf"] == ("violated", 7)  # e1 e2 load clear l1 free use
    assert verdicts(res)["lock(rcu)"] == ("violated", 6)  # l2: unlock outside a section


def test_section6_readers_that_enter_after_the_grace_period_starts_do_not_delay_it() -> None:
    text = """
model rcu_reenter
var x: bool = false
var saw: bool = false
process r {
  step enter { rcu_read_lock }
  step leave { rcu_read_unlock }
  loop
}
process s {
  step sync { saw := at(r, leave); synchronize_rcu }
  step after { x := true }
}
cover done_though_reentered: x && saw && at(r, leave)
cover waited: at(s, after) && saw && at(r, leave)
"""
    system, res = run(text, depth=6)
    v = verdicts(res)
    assert v["done_though_reentered"] == ("reached", 5)  # enter sync leave enter after
    assert v["waited"] == ("reached", 2)
    assert v["deadlock"][0] == "holds" and v["stuck"][0] == "holds"


def test_section7_check_deadlock_expect_violated_at_6(tmp_path: Path) -> None:
    text = """
model late_abba
var x: 0 .. 8 = 0
lock a
lock b
process p {
  step w1 { x := x + 1 }
  step w2 { x := x + 1 }
  step s1 { acquire a }
  step s2 { acquire b }
  step s3 { release b; release a }
}
process q {
  step w1 { x := x + 1 }
  step w2 { x := x + 1 }
  step t1 { acquire b }
  step t2 { acquire a }
  step t3 { release a; release b }
}
check deadlock expect violated at 6
check stuck expect violated at 6
check lockdep expect violated at 9
check deadlock depth 5 expect holds
check "lock(a)" depth 6 expect holds
"""
    spec = write(tmp_path, text)
    proc = zcheck("test", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed, 0 failed" in proc.stdout


def test_section7_lock_class_nested_same_class() -> None:
    text = """
model nested
const NESTED: bool = false
lock device_lock[2]
process p {
  step a { acquire device_lock[0] }
  step b { if NESTED { acquire device_lock[1] nested } else { acquire device_lock[1] } }
  step c { release device_lock[1]; release device_lock[0] }
}
"""
    system, res = run(text, depth=4)
    assert verdicts(res)["lockdep"] == ("violated", 2)
    system, res = run(text, depth=4, overrides={"NESTED": "true"})
    assert verdicts(res)["lockdep"] == ("holds", 4)


def test_section7_trylocks_record_no_order() -> None:
    text = """
model trylk
lock a
lock b
var got: bool = false
process p {
  step x { acquire a }
  step y { let ok = try_acquire b; got := ok; if ok { release b } }
  step z { release a }
}
process q {
  step x { acquire b }
  step y { acquire a }
  step z { release a; release b }
}
cover got_it: got
"""
    system, res = run(text, depth=6)
    v = verdicts(res)
    assert v["got_it"] == ("reached", 2)
    assert v["lockdep"] == ("holds", 6)
    assert v["deadlock"] == ("holds", 6)


CHAIN = """
model chain
lock a
lock b
lock c
process p1 {
  step x { acquire a }
  step y { acquire b }
  step z { release b; release a }
}
process p2 {
  step x { acquire b }
  step y { acquire c }
  step z { release c; release b }
}
process p3 {
  step x { acquire c }
  step y { acquire a }
  step z { release a; release c }
}
"""


def test_section7_lockdep_follows_chains_and_names_true_acquisitions() -> None:
    """a→b, b→c and c→a, each by another process: no pair is inverted, the chain is.
    Every acquisition the explanation quotes must be one the trace shows."""
    system, res = run(CHAIN, props=["lockdep", "deadlock"], depth=8)
    v = verdicts(res)
    assert v["deadlock"] == ("violated", 3)
    assert v["lockdep"] == ("violated", 8)
    r = res["lockdep"]
    assert r.trace is not None and r.trace.explanation is not None
    text = r.trace.explanation.text
    assert text.startswith("lock order inversion:")
    assert_true_acquisitions(system, r)


# ---------------------------------------------------------------- 2. AB-BA


def test_abba_deadlock_at_2_with_the_cycle_in_the_text(tmp_path: Path) -> None:
    spec = write(tmp_path, ABBA)
    proc = zcheck("verify", str(spec), "--engine", "bmc", "--depth", "6")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"VIOLATED +deadlock +at depth 2\n", out)
    assert re.search(r"VIOLATED +lockdep +at depth 5\n", out)
    assert re.search(r"VIOLATED +stuck +at depth 2\n", out)
    line = next(ln for ln in out.splitlines() if "false: wait-for cycle:" in ln)
    assert "p[0] waits for b held by q[0]" in line and "q[0] waits for a held by p[0]" in line
    lockdep = next(ln for ln in out.splitlines() if "false: lock order inversion:" in ln)
    assert re.search(r"lock order inversion: step \d \((p|q)\[0\]\.(s|t)2\) took `(a|b)` while holding `(a|b)`;"
                     r" step 5 \((p|q)\[0\]\.(s|t)2\) takes `(a|b)` while holding `(a|b)`", lockdep), lockdep


def test_abba_lockdep_at_5_on_a_trace_without_the_deadlock() -> None:
    system, res = run(ABBA, props=["lockdep"], depth=6)
    r = res["lockdep"]
    assert (r.verdict, r.depth) == ("violated", 5)
    names = steps(r)
    first = names[0].split(".")[0]
    assert all(n.startswith(first) for n in names[:3])  # one process runs to the end ...
    assert not any(n.startswith(first) for n in names[3:])  # ... before the other starts
    st = shown(system, r)
    assert st[3][f"{first}.pc"] == "done"
    assert_true_acquisitions(system, r)
    for s in st:  # never both waiting for each other
        assert not (s["a"] not in ("none",) and s["b"] not in ("none",) and s["a"] != s["b"])


def test_abba_fixed_order_proves_deadlock_and_lockdep(tmp_path: Path) -> None:
    spec = write(tmp_path, AB_FIXED)
    proc = zcheck("verify", str(spec), "-p", "deadlock", "-p", "lockdep", "-p", "stuck")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"PROVED +deadlock ", proc.stdout)
    assert re.search(r"PROVED +lockdep ", proc.stdout)
    assert re.search(r"PROVED +stuck ", proc.stdout)


def test_self_deadlock_is_a_cycle_of_one() -> None:
    text = """
model aa
lock a
process p {
  step s1 { acquire a }
  step s2 { acquire a }
  step s3 { release a }
}
"""
    system, res = run(text, depth=3)
    v = verdicts(res)
    assert v["deadlock"] == ("violated", 1)
    assert v["stuck"] == ("violated", 1)
    assert res["deadlock"].trace.explanation.text == "wait-for cycle: p[0] waits for a held by p[0]"  # type: ignore


INDEX_AFTER_WRITE = """
model idx
var v: 0 .. 3 = 0
lock L[4]
process p {
  step s1 { acquire L[HELD] }
  step s2 {
    v := v + 1
    acquire L[v] nested
  }
  step s3 { release L[1] }
}
"""


@pytest.mark.parametrize(("held", "expected"), [(2, ("holds", 4)), (1, ("violated", 1))])
def test_a_lock_index_written_earlier_in_the_step_is_read_once(held: int, expected: tuple[str, int]) -> None:
    """Found by the soundness campaign (seed 21): the wait-for edge of `acquire L[v]`
    after `v := v + 1` applied the assignment twice, so it looked at L[2] instead of
    L[1]. Holding L[2], that was a deadlock that is not there; holding L[1], the real
    self-deadlock was missed (a false PROVED)."""
    text = INDEX_AFTER_WRITE.replace("HELD", str(held))
    system, res = run(text, props=["deadlock"], depth=4)
    assert verdicts(res)["deadlock"] == expected
    if expected[0] == "violated":
        assert res["deadlock"].trace.explanation.text == "wait-for cycle: p[0] waits for L[1] held by p[0]"  # type: ignore


def test_stuck_is_not_reported_while_an_action_is_enabled() -> None:
    """AB-BA plus a global action that is always enabled: the wait-for cycle is still a
    deadlock, but the system is not stuck (the contract: no step of any instance and no
    action is enabled)."""
    text = ABBA + "var x: bool = false\naction tick() { x := !x }\n"
    system, res = run(text, props=["deadlock", "stuck"], depth=4)
    assert verdicts(res) == {"deadlock": ("violated", 2), "stuck": ("holds", 4)}


def test_stuck_not_deadlock_when_waiting_on_a_condition() -> None:
    text = """
model awaitst
lock l
var flag: bool = false
process p {
  step a { acquire l }
  step b { await flag }
  step c { release l }
}
"""
    system, res = run(text, depth=4)
    v = verdicts(res)
    assert v["stuck"] == ("violated", 1)
    assert v["deadlock"] == ("holds", 4)
    assert res["stuck"].trace.explanation.values == (("p[0]", "at b"),)  # type: ignore[union-attr]


def test_deadlock_through_an_rwsem_read_hold() -> None:
    text = """
model rwdl
rwsem s
lock l
process r {
  step a { down_read s }
  step b { acquire l }
  step c { release l; up_read s }
}
process w {
  step a { acquire l }
  step b { down_write s }
  step c { up_write s; release l }
}
"""
    system, res = run(text, depth=5)
    v = verdicts(res)
    assert v["deadlock"] == ("violated", 2)
    assert v["lockdep"] == ("violated", 5)  # read acquisitions count
    text_ = res["deadlock"].trace.explanation.text  # type: ignore[union-attr]
    assert "w[0] waits for s (write) held by r[0]" in text_ and "r[0] waits for l held by w[0]" in text_
    assert_true_acquisitions(system, res["lockdep"])


def test_deadlock_on_elements_of_a_lock_array_and_in_procedures() -> None:
    text = """
model procdl
lock dl[2]
procedure take2(first: 0 .. 2) {
  step one { acquire dl[first] }
  step two { acquire dl[1 - first] nested }
  step rel { release dl[0]; release dl[1] }
}
process p[2] {
  call take2(self)
}
"""
    system, res = run(text, depth=5)
    v = verdicts(res)
    assert v["deadlock"] == ("violated", 2)
    assert v["lockdep"] == ("holds", 5)  # `nested`: one class, annotated
    text_ = res["deadlock"].trace.explanation.text  # type: ignore[union-attr]
    assert "p[0] waits for dl[1] held by p[1]" in text_ and "p[1] waits for dl[0] held by p[0]" in text_
    st = shown(system, res["deadlock"])
    assert st[2]["p[0].pc"] == "take2.two" and st[2]["p[1].pc"] == "take2.two"


def test_lockdep_sees_a_global_action_as_the_owner_env() -> None:
    text = """
model envld
lock a
lock b
var x: bool = false
action both() { acquire a; acquire b; x := true; release b; release a }
process q {
  step t1 { acquire b }
  step t2 { acquire a }
  step t3 { release a; release b }
}
"""
    system, res = run(text, depth=4)
    v = verdicts(res)
    assert v["lockdep"] == ("violated", 3)  # both, t1, t2
    assert v["deadlock"] == ("holds", 4)  # an action never waits half-way
    assert steps(res["lockdep"]) == ["both", "q[0].t1", "q[0].t2"]


def test_deadlock_not_expressible_is_a_zc904_warning(tmp_path: Path) -> None:
    text = """
model unsup
lock l
var m: map[0 .. 2] 0 .. 4 = 0
process p {
  step a { m[0] := 1; require m[0] == 1; acquire l }
  step b { release l }
}
"""
    spec = write(tmp_path, text)
    proc = zcheck("verify", str(spec), "--engine", "bmc", "--depth", "2")
    assert "warning[ZC904]: `deadlock` is not checked" in proc.stderr + proc.stdout
    assert not re.search(r"(HOLDS|PROVED|VIOLATED) +(deadlock|stuck) ", proc.stdout)
    proc = zcheck("verify", str(spec), "-p", "deadlock")
    assert proc.returncode == 2
    assert "error[ZC904]" in proc.stderr


def test_deadlock_and_stuck_under_a_scenario_look_at_the_whole_model(tmp_path: Path) -> None:
    """A scenario restricts the traces searched, not what counts as enabled: after a
    fixed-length scenario that runs only p, q can still move (not stuck); a scenario that
    leads into the AB-BA cycle finds the deadlock, and the trace still names the cycle."""
    only_p = AB_FIXED + "scenario p_only {\n  p[0].s1\n  p[0].s2\n  p[0].s3\n}\n"
    proc = zcheck("verify", str(write(tmp_path, only_p, "p.zdl")), "--scenario", "p_only", "--engine", "bmc",
                  "--depth", "4", "-p", "stuck", "-p", "deadlock")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"HOLDS +stuck +up to depth 4", proc.stdout)
    cross = ABBA + "scenario cross {\n  p[0].s1\n  q[0].t1\n}\n"
    proc = zcheck("verify", str(write(tmp_path, cross, "c.zdl")), "--scenario", "cross", "--engine", "bmc",
                  "--depth", "4", "-p", "deadlock", "-p", "stuck")
    assert proc.returncode == 1
    assert re.search(r"VIOLATED +deadlock +at depth 2", proc.stdout)
    line = next(ln for ln in proc.stdout.splitlines() if "false: wait-for cycle:" in ln)
    assert "p[0] waits for b held by q[0]" in line and "q[0] waits for a held by p[0]" in line, line
    line = next(ln for ln in proc.stdout.splitlines() if "false: no step of any instance" in ln)
    assert "p[0] waits for b held by q[0]" in line, line


# ---------------------------------------------------------------- 3. reader/writer

RW = """
model rw
const WLOCK: bool = true
rwsem sem
var data: 0 .. 4 = 0
process reader[2] {
  var seen: 0 .. 4 = 0
  step enter { down_read sem }
  step read  { seen := data }
  step leave { up_read sem }
}
process writer {
  step enter { if WLOCK { down_write sem } }
  step write { data := 1 }
  step leave { if WLOCK { up_write sem } }
}
cover both_inside: at(reader[0], read) && at(reader[1], read)
cover two_read_holds: readers(sem) == 2
invariant writer_excludes_readers: at(writer, write) -> !at(reader[0], read) && !at(reader[1], read)
invariant no_reader_under_writer: writer(sem) == writer -> readers(sem) == 0
invariant readers_counted: readers(sem) == (if at(reader[0], read) || at(reader[0], leave) then 1 else 0)
  + (if at(reader[1], read) || at(reader[1], leave) then 1 else 0)
invariant held_read: forall i: 0 .. 2 :: at(reader[i], read) -> held_by(sem, reader[i]) && writer(sem) == none
"""


def test_rwsem_readers_share_writer_excludes() -> None:
    system, res = run(RW, depth=6, engine="auto")
    v = verdicts(res)
    assert v["both_inside"] == ("reached", 2)
    assert v["two_read_holds"] == ("reached", 2)
    for inv in ("writer_excludes_readers", "no_reader_under_writer", "readers_counted", "held_read"):
        assert v[inv] == ("proved", None), inv
    st = shown(system, res["both_inside"])
    assert st[2]["sem"] == "none"  # no writer
    assert st[2]["sem.read[reader[0]]"] == "1" and st[2]["sem.read[reader[1]]"] == "1"


def test_rwsem_without_the_write_lock_the_invariant_fails() -> None:
    system, res = run(RW, depth=4, overrides={"WLOCK": "false"})
    v = verdicts(res)
    assert v["writer_excludes_readers"] == ("violated", 2)
    assert v["readers_counted"] == ("holds", 4)
    assert v["lock(sem)"] == ("holds", 4)


# ---------------------------------------------------------------- 4. synchronize_rcu vs an explicit-state BFS


def rcu_explore(grace: bool, readers: int = 2, max_depth: int = 8) -> dict[str, int | None]:
    """Breadth-first enumeration of the RCU model's interleavings under the contract's
    semantics, written independently of zcheck: the shortest depth at which `uaf` is
    violated and each cover is first reached (None: not within max_depth).

    Reader pcs: 0 lock, 1 load, 2 deref, 3 unlock, 4 done, 5 crashed. Remover pcs: 0 clear,
    1 free, 2 done. A `synchronize_rcu` records the readers inside a section; every later
    step of the remover waits until each recorded reader has left (outermost unlock)."""
    DONE, CRASHED = 4, 5
    # state: (ptr, freed, reader pcs, reader p, reader nesting, recorded readers, remover pc)
    init = (True, False, (0,) * readers, (False,) * readers, (0,) * readers, frozenset(), 0)
    found: dict[str, int | None] = {"uaf": None, "late_reader": None, "freed_after_load": None,
                                    "both_readers_done": None}

    def covers(s: tuple, d: int) -> None:  # type: ignore[type-arg]
        ptr, freed, pcs, ps, rcu, rec, mpc = s
        checks = {
            "late_reader": freed and readers > 1 and pcs[1] == 2,
            "freed_after_load": freed and ps[0] and pcs[0] != CRASHED,
            "both_readers_done": freed and all(pc == DONE for pc in pcs[:2]),
        }
        for name, ok in checks.items():
            if ok and found[name] is None:
                found[name] = d

    seen = {init}
    frontier = deque([(init, 0)])
    covers(init, 0)
    while frontier:
        s, d = frontier.popleft()
        if d == max_depth:
            continue
        ptr, freed, pcs, ps, rcu, rec, mpc = s
        nexts = []
        for i in range(readers):
            pc = pcs[i]
            if pc in (DONE, CRASHED):
                continue
            npcs, nps, nrcu, nrec, nptr, nfreed = list(pcs), list(ps), list(rcu), set(rec), ptr, freed
            if pc == 0:
                nrcu[i] += 1
                npcs[i] = 1
            elif pc == 1:
                nps[i] = ptr
                npcs[i] = 2
            elif pc == 2:
                if ps[i] and freed:
                    if found["uaf"] is None:
                        found["uaf"] = d + 1
                    npcs[i] = CRASHED
                else:
                    npcs[i] = 3
            elif pc == 3:
                nrcu[i] -= 1
                if nrcu[i] == 0:
                    nrec.discard(i)
                npcs[i] = DONE
            nexts.append((nptr, nfreed, tuple(npcs), tuple(nps), tuple(nrcu), frozenset(nrec), mpc))
        if mpc < 2 and not rec:  # the remover's steps wait out its grace period
            if mpc == 0:
                nrec = frozenset(i for i in range(readers) if rcu[i] > 0) if grace else frozenset()
                nexts.append((False, freed, pcs, ps, rcu, nrec, 1))
            else:
                nexts.append((ptr, True, pcs, ps, rcu, rec, 2))
        for n in nexts:
            covers(n, d + 1)
            if n not in seen:
                seen.add(n)
                frontier.append((n, d + 1))
    return found


def test_rcu_bfs_oracle_itself() -> None:
    """The oracle agrees with hand-counted traces (so a wrong oracle cannot hide a bug)."""
    assert rcu_explore(grace=False)["uaf"] == 5  # lock load clear free deref
    assert rcu_explore(grace=True, max_depth=50)["uaf"] is None  # the whole state space: every run ends by 10
    assert rcu_explore(grace=True)["freed_after_load"] == 6  # lock load clear deref unlock free
    assert rcu_explore(grace=False)["freed_after_load"] == 4
    assert rcu_explore(grace=True)["late_reader"] == 4  # clear, r1 lock, r1 load, free: r1 entered later
    assert rcu_explore(grace=False, max_depth=10)["both_readers_done"] == 10  # 4 + 4 + 2 steps: beyond depth 8


@pytest.mark.parametrize("grace", [False, True])
def test_rcu_use_after_free_matches_the_explicit_state_enumeration(grace: bool) -> None:
    expected = rcu_explore(grace)
    system, res = run(RCU, depth=8, overrides={"GRACE": "true" if grace else "false"})
    v = verdicts(res)
    uaf = expected["uaf"]
    assert v["uaf"] == (("violated", uaf) if uaf is not None else ("holds", 8))
    for cover in ("late_reader", "freed_after_load", "both_readers_done"):
        d = expected[cover]
        assert v[cover] == (("reached", d) if d is not None else ("not_reached", 8)), cover
    assert v["lock(rcu)"] == ("holds", 8)
    assert v["deadlock"] == ("holds", 8) and v["stuck"] == ("holds", 8)
    if not grace:
        assert uaf == 5
        assert steps(res["uaf"])[-1] in ("reader[0].deref", "reader[1].deref")
        st = shown(system, res["uaf"])
        reader = steps(res["uaf"])[-1].split(".")[0]
        assert st[-1][f"{reader}.pc"] == "crashed"
        assert st[-1][f"{reader}.rcu"] == "1"  # traces show the read-side nesting depth


def test_rcu_grace_period_is_proved() -> None:
    system, res = run(RCU, props=["uaf"], depth=8, engine="auto")
    assert verdicts(res)["uaf"] == ("proved", None)


def test_rcu_grace_period_spelled_without_if() -> None:
    """The same model with `synchronize_rcu` written unconditionally, and with it left out."""
    with_gp = RCU.replace("ptr := false; if GRACE { synchronize_rcu }", "ptr := false; synchronize_rcu")
    without = RCU.replace("ptr := false; if GRACE { synchronize_rcu }", "ptr := false")
    _, res = run(with_gp, props=["uaf"], depth=8)
    assert verdicts(res)["uaf"] == ("holds", 8)
    _, res = run(without, props=["uaf"], depth=8)
    assert verdicts(res)["uaf"] == ("violated", 5)


def test_synchronize_rcu_inside_the_readers_lock_is_a_deadlock() -> None:
    text = """
model rcu_deadlock
lock l
process r {
  step enter { rcu_read_lock }
  step take  { acquire l }
  step leave { release l; rcu_read_unlock }
}
process s {
  step take { acquire l }
  step sync { synchronize_rcu }
  step drop { release l }
}
"""
    system, res = run(text, props=["deadlock", "stuck"], depth=5)
    assert verdicts(res) == {"deadlock": ("violated", 3), "stuck": ("violated", 3)}
    assert "r[0] waits for l held by s[0]" in res["deadlock"].trace.explanation.text  # type: ignore[union-attr]


# ---------------------------------------------------------------- 5. diagnostics

BAD = [
    ("ZC506", "model m\nvar x: int = 0\nprocess p {\n  step a { goto b; x := 1 }\n  step b { x := 2 }\n}\n", 4, 20),
    ("ZC506", "model m\nvar x: int = 0\nprocess p {\n  step a { done\n    x := 1 }\n}\n", 5, 5),
    ("ZC506", "model m\nvar x: int = 0\nprocess p {\n  step a { synchronize_rcu; x := 1 }\n}\n", 4, 29),
    ("ZC506", "model m\nvar x: int = 0\nprocess p {\n  step a { if x == 0 { goto b } else { done }; x := 1 }\n"
     "  step b { x := 2 }\n}\n", 4, 48),
    ("ZC505", "model m\nlock l\nvar ok: bool = false\nprocess p {\n  step a { ok := true && try_acquire l }\n}\n",
     5, 26),
    ("ZC505", "model m\nlock l\nvar ok: bool = false\nprocess p {\n  step a { ok := false || try_acquire l }\n}\n",
     5, 27),
    ("ZC505", "model m\nrwsem s\nvar ok: bool = false\nprocess p {\n  step a { ok := ok -> down_read_trylock s }\n}\n",
     5, 24),
    ("ZC505", "model m\nrwsem s\nvar ok: bool = false\nprocess p {\n"
     "  step a { ok := if ok then down_write_trylock s else false }\n}\n", 5, 29),
    ("ZC505", "model m\nlock l[2]\nvar ok: bool = false\nprocess p {\n"
     "  step a { ok := forall i: 0 .. 2 :: try_acquire l[i] }\n}\n", 5, 38),
    ("ZC505", "model m\nlock l\nprocess p {\n  step a { acquire l }\n}\ninvariant bad: try_acquire l\n", 6, 16),
    ("ZC505", "model m\nrwsem s\nprocess p {\n  step a { down_read s }\n}\ncover c: down_read_trylock s\n", 6, 10),
    ("ZC505", "model m\nvar x: int = 0\naction go() { x := self }\n", 3, 20),
    ("ZC505", "model m\nvar x: int = 0\nprocess p[2] { step a { x := self } }\ninvariant i: self == 0\n", 4, 14),
    ("ZC505", "model m\nvar x: int = 0\nprocess p { step a { x := 1 } }\naction go() { rcu_read_lock }\n", 4, 15),
    ("ZC306", "model m\nvar x: int = 0\nprocedure f() {\n  step a { x := 1 }\n  call g()\n}\nprocedure g() {\n"
     "  step b { x := 2 }\n  call f()\n}\nprocess p {\n  call f()\n}\n", 9, 3),
    ("ZC306", "model m\nvar x: int = 0\nprocedure f() {\n  step a { x := 1 }\n  call f()\n}\n"
     "process p { call f() }\n", 5, 3),
    ("ZC201", "model m\nvar x: int = 0\nprocess p {\n  step a { x := 1 }\n  call nowhere()\n}\n", 5, 3),
    ("ZC201", "model m\nvar x: int = 0\nprocedure f() {\n  step a { goto outer }\n}\nprocess p {\n"
     "  step outer { x := 1 }\n  call f()\n}\n", 4, 12),
    ("ZC201", "model m\nvar x: int = 0\nprocess p[2] { step a { x := self } }\n"
     "invariant i: at(p[0], nowhere) -> x == 0\n", 4, 23),
    ("ZC301", "model m\nlock l\nprocess p {\n  step a { up_read l }\n}\n", 4, 12),
    ("ZC301", "model m\nlock l\nprocess p {\n  step a { down_read l }\n}\n", 4, 12),
    ("ZC301", "model m\nrwsem s\nprocess p {\n  step a { acquire s }\n}\n", 4, 12),
    ("ZC503", "model m\nlock dl[2]\nprocess p {\n  step a { acquire dl[2] }\n}\n", 4, 23),
    ("ZC503", "model m\nvar x: int = 0\nprocess p[2] { step a { x := self } }\n"
     "invariant i: at(p[2], a) -> x == 0\n", 4, 19),
    ("ZC202", "model m\nvar x: int = 0\nprocess p {\n  step crashed { x := 1 }\n}\n", 4, 3),
]


@pytest.mark.parametrize("code,text,line,col", BAD, ids=[f"{c}-{i}" for i, (c, *_) in enumerate(BAD)])
def test_diagnostics_exit_2_with_code_and_position(tmp_path: Path, code: str, text: str, line: int, col: int) -> None:
    spec = write(tmp_path, text, "bad.zdl")
    proc = zcheck("check", str(spec))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"error[{code}]" in proc.stderr, proc.stderr
    assert f"{spec}:{line}:{col}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_diagnostic_texts_name_the_cycle_and_the_ending_statement(tmp_path: Path) -> None:
    proc = zcheck("check", str(write(tmp_path, BAD[14][1], "rec.zdl")))
    assert "(f -> g -> f)" in proc.stderr
    proc = zcheck("check", str(write(tmp_path, BAD[0][1], "goto.zdl")))
    assert "`goto b` at line 4 ends the step" in proc.stderr


def test_symbolic_lock_index_out_of_range_is_an_implicit_property() -> None:
    text = """
model idx
lock arr[2]
var i: 0 .. 4 = 0
process setter {
  step s { i := 2 }
}
process user {
  step a { acquire arr[i] }
  step b { release arr[i] }
}
"""
    system, res = run(text, depth=3)
    v = verdicts(res)
    assert v["user[0].a.range@9"] == ("violated", 2)
    assert steps(res["user[0].a.range@9"]) == ["setter[0].s", "user[0].a"]
    assert "user[0].b.range@10" in v


def test_trylock_as_an_if_condition_is_allowed_and_retries(tmp_path: Path) -> None:
    text = """
model retry
lock l
var x: 0 .. 4 = 0
process p {
  step a { if !try_acquire l { goto a }; x := 1 }
  step b { release l }
}
process q {
  step a { acquire l }
  step b { release l }
}
invariant x_under_lock: x == 1 && at(p, b) -> owner(l) == p
cover retried: at(p, a) && owner(l) == q && x == 0
"""
    proc = zcheck("check", str(write(tmp_path, text)))
    assert proc.returncode == 0, proc.stderr
    system, res = run(text, depth=5)
    assert verdicts(res)["x_under_lock"] == ("holds", 5)
    assert verdicts(res)["retried"] == ("reached", 1)


# ---------------------------------------------------------------- 6. bug_on stops the instance, locks stay held

CRASH = """
model crash
const USE_ASSERT: bool = false
var x: 0 .. 4 = 0
var after: bool = false
lock l
process a {
  step take  { acquire l }
  step check { if USE_ASSERT { assert x != 0 } else { bug_on boom: x == 0 } }
  step later { after := true }
  step put   { release l }
}
process b {
  step take { acquire l }
  step put  { release l }
}
invariant never_after: !after
cover a_crashed_holding: at(a, crashed) && held_by(l, a) && owner(l) == a
invariant crashed_keeps_lock: at(a, crashed) -> owner(l) == a
"""


def test_bug_on_crashes_the_instance_and_keeps_its_locks() -> None:
    system, res = run(CRASH, depth=6)
    v = verdicts(res)
    assert v["boom"] == ("violated", 2)
    assert v["a_crashed_holding"] == ("reached", 2)
    assert v["never_after"] == ("holds", 6)
    assert v["crashed_keeps_lock"] == ("holds", 6)
    st = shown(system, res["boom"])
    assert st[2]["a[0].pc"] == "crashed" and st[2]["l"] == "a[0]"
    # b waits for a lock that a crashed instance holds: stuck, but no wait-for cycle
    assert v["stuck"] == ("violated", 2)
    assert v["deadlock"] == ("holds", 6)
    stuck = res["stuck"].trace.explanation  # type: ignore[union-attr]
    assert "b[0] waits for l held by a[0]" in stuck.text
    assert ("a[0]", "at crashed") in stuck.values and ("b[0]", "at take") in stuck.values


def test_bug_on_crash_proved_final_and_assert_goes_on() -> None:
    system, res = run(CRASH, props=["never_after", "crashed_keeps_lock"], depth=6, engine="auto")
    assert verdicts(res) == {"never_after": ("proved", None), "crashed_keeps_lock": ("proved", None)}
    # with `assert` instead the path goes on and the later step runs
    system, res = run(CRASH, depth=6, overrides={"USE_ASSERT": "true"})
    v = verdicts(res)
    assert v["never_after"] == ("violated", 3)
    assert v["a.check.assert@9"] == ("violated", 2)
    assert v["stuck"] == ("holds", 6)


def test_crashed_shows_in_the_text_trace(tmp_path: Path) -> None:
    proc = zcheck("verify", str(write(tmp_path, CRASH)), "--engine", "bmc", "--depth", "3", "-p", "boom",
                  "-p", "stuck")
    assert proc.returncode == 1
    assert "a[0].pc: check -> crashed" in proc.stdout
    assert "where a[0] = at crashed, b[0] = at take" in proc.stdout


# ---------------------------------------------------------------- 7. goto ends the step

GOTO = """
model goto_ends
var x: 0 .. 4 = 0
var y: 0 .. 4 = 0
var tries: 0 .. 4 = 0
process p {
  step a { tries := tries + 1; if tries < 2 { goto a }; x := 1 }
  step b { y := x }
}
invariant x_only_after_retry: x == 1 -> tries == 2
invariant y_follows: at(p, done) -> y == 1
cover retried: tries == 1 && at(p, a)
cover finished: at(p, done)
"""


def test_goto_inside_if_ends_the_step() -> None:
    system, res = run(GOTO, depth=5)
    v = verdicts(res)
    assert v["retried"] == ("reached", 1)
    assert v["finished"] == ("reached", 3)
    assert v["x_only_after_retry"] == ("holds", 5)  # v1 would have set x on the goto path
    assert v["y_follows"] == ("holds", 5)
    st = shown(system, res["retried"])
    assert st[1] == {**st[0], "tries": "1"}  # the goto path did not run `x := 1`
    st = shown(system, res["finished"])
    assert [s["x"] for s in st] == ["0", "0", "1", "1"]
    assert [s["p[0].pc"] for s in st] == ["a", "a", "b", "done"]


def test_goto_proved_with_the_default_engine() -> None:
    system, res = run(GOTO, props=["x_only_after_retry", "y_follows"], depth=5, engine="auto")
    assert verdicts(res) == {"x_only_after_retry": ("proved", None), "y_follows": ("proved", None)}


def test_done_inside_if_ends_the_step() -> None:
    text = """
model early_done
var c: bool = true
var x: 0 .. 4 = 0
process p {
  step a { if c { done }; x := 1 }
  step b { x := 2 }
}
invariant x_never_set: x == 0
cover p_done: at(p, done)
"""
    system, res = run(text, depth=3)
    assert verdicts(res)["x_never_set"] == ("holds", 3)
    assert verdicts(res)["p_done"] == ("reached", 1)


# ---------------------------------------------------------------- 8. nondeterministic locals

ANY = """
model picks
var b: bool = false
var n: 0 .. 4 = 0
var seen: bool = false
var ab: bool = false
var an: 0 .. 4 = 0
var acted: bool = false
process p {
  step pick { let ok = any bool; let k = any in 0 .. 3; b := ok; n := k; seen := true }
}
action act() { require !acted; let z = any bool; let m = any in 0 .. 3; ab := z; an := m; acted := true }
cover b_true: seen && b
cover b_false: seen && !b
cover n0: seen && n == 0
cover n1: seen && n == 1
cover n2: seen && n == 2
invariant n_in_range: n <= 2
cover ab_true: acted && ab
cover ab_false: acted && !ab
cover an0: acted && an == 0
cover an2: acted && an == 2
invariant an_in_range: an <= 2
"""


def test_let_any_both_outcomes_reachable_in_steps_and_actions() -> None:
    system, res = run(ANY, depth=3)
    v = verdicts(res)
    for cover in ("b_true", "b_false", "n0", "n1", "n2", "ab_true", "ab_false", "an0", "an2"):
        assert v[cover] == ("reached", 1), cover
    assert v["n_in_range"] == ("holds", 3)  # `0 .. 3` is half-open, as every range
    assert v["an_in_range"] == ("holds", 3)
    picks = dict(res["b_false"].trace.steps[0].picks)  # type: ignore[union-attr]
    assert any(k.split("#")[0] == "ok" and v is False for k, v in picks.items()), picks


def test_let_any_pick_is_named_in_the_text_trace(tmp_path: Path) -> None:
    proc = zcheck("verify", str(write(tmp_path, ANY)), "--engine", "bmc", "--depth", "2", "-p", "b_false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"picks: .*ok = false", proc.stdout), proc.stdout


# ---------------------------------------------------------------- 9. fmt round trip

EVERYTHING = """model everything
const BLOCKS: int = 2
type block = 0..BLOCKS
enum bstate { OFFLINE, ONLINE }
var state: map[block] bstate = OFFLINE
var ptr: bool = true ; var got: bool = false
var n: 0 .. 4 = 0
lock device_hotplug
lock   zone_span : spinlock
rwsem mem_hotplug
lock device_lock[ BLOCKS ]
rwsem hotplug_sems[2]
procedure online_block(b: block) {
  var seen: bool = false
  step check { bug_on state[b] != OFFLINE }
  step set   { state[b] := ONLINE; seen := true }
}
process sysfs_online[2](b: block) {
  var ok: bool = false
  step lock { acquire device_lock[b] nested }
  call online_block( b )
  step trylk { let t = try_acquire zone_span; ok := t; if !ok { goto unlock }; release zone_span }
  step unlock { release device_lock[b] }
}
process reader[2] {
  step rd { rcu_read_lock; down_read mem_hotplug; down_read hotplug_sems[self] nested }
  step look { let k = any in 0 .. 3; let c = any bool; n := k; bug_on oops: c && !ptr }
  step unrd { up_read hotplug_sems[self]; up_read mem_hotplug; rcu_read_unlock }
}
process writer {
  step w { down_write mem_hotplug nested; acquire device_hotplug }
  step t { let a = down_read_trylock hotplug_sems[0]; let c = down_write_trylock hotplug_sems[1]; got := a && c }
  step u { release device_hotplug; up_write mem_hotplug; ptr := false; synchronize_rcu }
  step x { if got { done }; assert oops: ptr }
  loop
}
action env_take() { require owner(zone_span) == none; acquire zone_span; release zone_span }
invariant owners: owner(device_hotplug) == none || owner(device_hotplug) == writer
invariant rw: writer(mem_hotplug) != none -> readers(mem_hotplug) == 0
invariant held: forall i: 0 .. 2 :: at(reader[i], look) -> held_by(mem_hotplug, reader[i])
invariant proc_at: at(sysfs_online[0], online_block.check) -> sysfs_online[0].ok == false
cover env_seen: owner(zone_span) == env || at(writer, crashed)
check deadlock expect violated at 6
check "lock(rcu)" depth 3 expect holds
"""


def test_fmt_round_trip_on_every_new_construct() -> None:
    out = format_text(EVERYTHING, "e.zdl", keep_names=False)  # its long one-line steps are split: lines move
    assert parse(out, "e.zdl") == parse(EVERYTHING, "e.zdl")
    assert format_text(out, "e.zdl") == out
    for construct in ("lock zone_span: spinlock", "rwsem hotplug_sems[2]", "procedure online_block(b: block)",
                      "call online_block(b)", "acquire device_lock[b] nested", "let t = try_acquire zone_span",
                      "down_read_trylock hotplug_sems[0]", "down_write_trylock hotplug_sems[1]",
                      "let k = any in 0 .. 3", "let c = any bool", "bug_on oops: c && !ptr", "synchronize_rcu",
                      "rcu_read_lock", "rcu_read_unlock", "down_write mem_hotplug nested", "goto unlock", "done",
                      "at(sysfs_online[0], online_block.check)", "sysfs_online[0].ok", "hotplug_sems[self]"):
        assert construct in out, construct


def test_fmt_check_cli(tmp_path: Path) -> None:
    raw = write(tmp_path, EVERYTHING, "raw.zdl")
    refused = zcheck("fmt", "--check", str(raw))  # splitting its one-line steps would rename range checks
    assert refused.returncode == 2 and "ZC408" in refused.stderr, refused.stderr
    assert zcheck("fmt", "--check", "--allow-renames", str(raw)).returncode == 1
    canon = write(tmp_path, format_text(EVERYTHING, "e.zdl", keep_names=False), "canon.zdl")
    proc = zcheck("fmt", "--check", str(canon))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_formatted_model_with_every_construct_checks(tmp_path: Path) -> None:
    canon = write(tmp_path, format_text(EVERYTHING, "e.zdl", keep_names=False), "canon.zdl")
    proc = zcheck("check", str(canon))
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- 10. opt-outs and which models have the properties


def results_of(proc: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, int | None]]:
    doc = json.loads(proc.stdout)
    return {r["property"]: (r["verdict"], r["depth"]) for r in doc["#meta"]["results"]}


def test_no_deadlock_removes_it_and_p_selects_it(tmp_path: Path) -> None:
    spec = str(write(tmp_path, ABBA))
    base = ["verify", spec, "--engine", "bmc", "--depth", "5", "--format", "json"]
    every = results_of(zcheck(*base))
    assert {"deadlock", "stuck", "lockdep", "lock(a)", "lock(b)"} == set(every)
    no_dl = results_of(zcheck(*base, "--no-deadlock"))
    assert set(no_dl) == {"stuck", "lockdep", "lock(a)", "lock(b)"}
    none = results_of(zcheck(*base, "--no-deadlock", "--no-stuck", "--no-lockdep"))
    assert set(none) == {"lock(a)", "lock(b)"}
    only = results_of(zcheck(*base, "-p", "deadlock"))
    assert only == {"deadlock": ("violated", 2)}
    proc = zcheck("verify", spec, "--engine", "bmc", "--depth", "5", "--no-deadlock")
    assert not re.search(r"\bdeadlock\b", proc.stdout)
    assert re.search(r"VIOLATED +stuck +at depth 2", proc.stdout)


def test_implicit_properties_exist_only_with_processes_and_locks() -> None:
    with_both = api.build("m.zdl", None, None, text=ABBA)
    names = {p.name for p in with_both.properties}
    assert {"deadlock", "stuck", "lockdep"} <= names
    no_locks = api.build("m.zdl", None, None, text="model m\nvar x: bool = false\nprocess p { step a { x := true } }\n")
    assert not {"deadlock", "stuck", "lockdep"} & {p.name for p in no_locks.properties}
    no_procs = api.build("m.zdl", None, None,
                         text="model m\nlock l\nvar x: bool = false\naction a() { acquire l; x := true }\n"
                              "action b() { require owner(l) == env; release l }\n")
    assert not {"deadlock", "stuck", "lockdep"} & {p.name for p in no_procs.properties}
    # synchronize_rcu without locks: deadlock and stuck, no lockdep
    rcu = api.build("m.zdl", None, None, text=RCU)
    assert {"deadlock", "stuck"} <= {p.name for p in rcu.properties}
    assert "lockdep" not in {p.name for p in rcu.properties}


def test_p_deadlock_on_a_model_without_it_is_an_error(tmp_path: Path) -> None:
    spec = write(tmp_path, "model m\nvar x: bool = false\nprocess p { step a { x := true } }\n")
    proc = zcheck("verify", str(spec), "-p", "deadlock")
    assert proc.returncode == 2
    assert "no property named `deadlock`" in proc.stderr
