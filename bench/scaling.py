"""Benchmark: how BMC's time and peak memory grow with depth, and the plot of it.

Three library models: the seed model (range actions over pfns), the section hotplug
model (one section per action) and the pfn walker (three processes interleaved with
hotplug). Each point is one fresh process running zcheck's BMC on every property to
that depth (bench/worker.py: engine time, peak RSS). A point over the cap is shown as
"did not finish" and the deeper points of that model are skipped; a point slower than
20 s is measured once. The plot is a
self-contained SVG written without a plotting library.
"""

from __future__ import annotations

from pathlib import Path

from common import fmt_s, median, run_child, table, worker

MODELS = (
    ("zone_device_max_pfn (seed)", "models/zone_device_max_pfn.zdl", {}),
    ("section_hotplug", "models/section_hotplug.zdl", {}),
    ("pfn_walker_toctou (processes)", "models/pfn_walker_toctou.zdl", {"WALKER": "GET_ONLINE_MEMS"}),
)
FULL_DEPTHS = (5, 10, 15, 20, 25, 30)
QUICK_DEPTHS = (5, 10, 15)
SLOW = 20.0  # seconds: a point this slow is measured once (its noise is small beside it)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c")


def measure(quick: bool, reps: int, cap: float) -> dict[str, list[tuple[int, float | None, float | None]]]:
    """model label -> [(depth, median seconds or None, median peak MiB or None)]."""
    out: dict[str, list[tuple[int, float | None, float | None]]] = {}
    for label, model, defines in MODELS:
        points: list[tuple[int, float | None, float | None]] = []
        for d in QUICK_DEPTHS if quick else FULL_DEPTHS:
            samples = [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines), cap)]
            if not samples[0].timed_out and samples[0].answer.get("seconds", 0) < SLOW:
                samples += [run_child(worker("zcheck-bmc", model=model, depth=d, defines=defines), cap)
                            for _ in range(reps - 1)]
            if any(s.timed_out or s.returncode != 0 for s in samples):
                points.append((d, None, None))
                break
            points.append((d, median([s.answer["seconds"] for s in samples]),
                           median([s.answer["peak_mib"] for s in samples])))
        out[label] = points
    return out


def markdown(data: dict[str, list[tuple[int, float | None, float | None]]], cap: float, svg_name: str) -> str:
    rows = []
    for label, points in data.items():
        for d, sec, mib in points:
            rows.append([label, str(d), fmt_s(sec) if sec is not None else f"did not finish (> {cap:.0f} s)",
                         f"{mib:.0f}" if mib is not None else "–"])
    return "\n".join([table(["model", "depth", "BMC seconds", "peak MiB"], rows), "",
                      f"![BMC time and memory against depth]({svg_name})"])


def svg(data: dict[str, list[tuple[int, float | None, float | None]]]) -> str:
    """Two panels (seconds, log scale; peak MiB) against depth, one line per model."""
    import math

    w, h, pad = 360, 240, 48
    depths = [d for pts in data.values() for d, s, _ in pts if s is not None] or [1]
    secs = [s for pts in data.values() for _, s, _ in pts if s is not None] or [1.0]
    mibs = [m for pts in data.values() for _, _, m in pts if m is not None] or [1.0]
    dmax = max(depths)
    lo, hi = math.log10(max(min(secs), 1e-3)), math.log10(max(secs)) + 0.1
    mmax = max(mibs) * 1.1

    def x(d: float, ox: int) -> float:
        return ox + pad + (w - 2 * pad) * d / dmax

    def panel(ox: int, title: str, value, ticks: list[tuple[float, str]]) -> list[str]:  # type: ignore[no-untyped-def]
        parts = [f'<text x="{ox + w / 2}" y="16" text-anchor="middle" font-size="13">{title}</text>',
                 f'<line x1="{ox + pad}" y1="{h - pad}" x2="{ox + w - pad}" y2="{h - pad}" stroke="#000"/>',
                 f'<line x1="{ox + pad}" y1="{pad / 2}" x2="{ox + pad}" y2="{h - pad}" stroke="#000"/>',
                 f'<text x="{ox + w / 2}" y="{h - 12}" text-anchor="middle" font-size="11">BMC depth</text>']
        for d in sorted(set(depths)):
            parts.append(f'<text x="{x(d, ox):.1f}" y="{h - pad + 14}" text-anchor="middle" font-size="10">{d}</text>')
        for y, text in ticks:
            parts.append(f'<text x="{ox + pad - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{text}</text>')
        for (label, points), colour in zip(data.items(), COLOURS):
            xy = [(x(d, ox), value(s, m)) for d, s, m in points if s is not None]
            if xy:
                path = " ".join(f"{a:.1f},{b:.1f}" for a, b in xy)
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
                parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>' for a, b in xy]
        return parts

    def ys(s: float) -> float:
        return h - pad - (h - 1.5 * pad) * (math.log10(max(s, 1e-3)) - lo) / (hi - lo)

    def ym(m: float) -> float:
        return h - pad - (h - 1.5 * pad) * m / mmax

    sticks = [(ys(10 ** e), f"{10 ** e:g} s") for e in range(math.floor(lo), math.ceil(hi) + 1) if lo <= e <= hi]
    mticks = [(ym(v), f"{v:.0f}") for v in (0, mmax / 2, mmax)]
    body = panel(0, "time (s, log scale)", lambda s, m: ys(s), sticks)
    body += panel(w, "peak memory (MiB)", lambda s, m: ym(m), mticks)
    for i, ((label, _), colour) in enumerate(zip(data.items(), COLOURS)):
        body.append(f'<rect x="{pad + 230 * i}" y="{h + 6}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{pad + 230 * i + 14}" y="{h + 15}" font-size="11">{_esc(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w + 20}" height="{h + 24}" '
            f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_svg(data: dict[str, list[tuple[int, float | None, float | None]]], path: Path) -> None:
    path.write_text(svg(data))
