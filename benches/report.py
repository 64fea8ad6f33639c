#!/usr/bin/env python3
"""Turns the raw results of benches/compare.sh into a report: results.md, results.csv, chart.svg.

    benches/report.py DIR

DIR holds raw.tsv (group, peer, rep, metric, value), meta.tsv (group, peer, key, value) and info.tsv
(key, value). Every cell is the median of the reps with their spread (min-max and the coefficient of
variation); Vireo (the peer of each group whose name starts with "vireo") is divided by every other
peer of its group, median by median.
"""
import csv
import html
import statistics
import sys
from pathlib import Path

# group -> (title, the script, [(metric, label, unit, higher is better)], [(noise metric, label)])
GROUPS = {
    "tap": ("TAP to TAP between two namespaces", "benches/netns-bench.sh", [
        ("ping_idle_us", "ping, idle switch, avg", "µs", False),
        ("sp_p50_us", "sockperf p50", "µs", False),
        ("sp_p99_us", "sockperf p99", "µs", False),
        ("tcp_gbps", "TCP, 1 stream", "Gbit/s", True),
        ("udp64_kpps", "64-byte frames", "kframes/s", True)],
        [("other_cpu_pct", "CPU used by other processes meanwhile, % of a core (noise)")]),
    "vxlan": ("VXLAN overlay, container to container across two hosts", "benches/vxlan-bench.sh", [
        ("tcp_gbps", "TCP, 1 stream", "Gbit/s", True),
        ("tcp4_gbps", "TCP, 4 streams", "Gbit/s", True),
        ("ping_us", "ping every 20 ms, avg", "µs", False)], []),
    "vhost": ("vhost-user loop through dpdk-testpmd", "benches/vhost-bench.sh", [
        ("mpps_64", "64-byte frames", "Mpps", True),
        ("mpps_1518", "1518-byte frames", "Mpps", True)], []),
    "router": ("Routing between two subnets, client to server namespace", "benches/router-bench.sh", [
        ("tcp_gbps", "TCP, 1 stream", "Gbit/s", True),
        ("tcp4_gbps", "TCP, 4 streams", "Gbit/s", True),
        ("udp64_kpps", "64-byte frames", "kframes/s", True),
        ("ping_us", "ping every 50 ms, median", "µs", False)], []),
}


def read_tsv(path, width):
    if not path.exists():
        return []
    return [line.rstrip("\n").split("\t", width - 1) for line in path.open(encoding="utf-8")
            if line.count("\t") >= width - 1]


def fmt(x):
    if x is None:
        return "—"
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


class Results:
    def __init__(self, out):
        self.values, self.meta, self.peers = {}, {}, {}
        for group, peer, key, value in read_tsv(out / "meta.tsv", 4):
            m = self.meta.setdefault((group, peer), {})
            if key != "version" or key not in m:  # the version at the start of the run
                m[key] = value
            self._add_peer(group, peer)
        for group, peer, _rep, metric, value in read_tsv(out / "raw.tsv", 5):
            self._add_peer(group, peer)
            try:
                self.values.setdefault((group, peer, metric), []).append(float(value))
            except ValueError:
                pass  # a measurement that produced nothing
        self.info = dict(read_tsv(out / "info.tsv", 2))

    def _add_peer(self, group, peer):
        peers = self.peers.setdefault(group, [])
        if peer not in peers:
            peers.append(peer)

    def stats(self, group, peer, metric):
        """(median, min, max, cv %, n) or None."""
        v = self.values.get((group, peer, metric))
        if not v:
            return None
        mean = statistics.fmean(v)
        cv = 100 * statistics.pstdev(v) / mean if len(v) > 1 and mean else 0.0
        return statistics.median(v), min(v), max(v), cv, len(v)

    def vireo(self, group):
        return next((p for p in self.peers.get(group, []) if p.startswith("vireo")), None)

    def ratio(self, group, peer, metric):
        v, p = self.stats(group, self.vireo(group) or "", metric), self.stats(group, peer, metric)
        return v[0] / p[0] if v and p and p[0] else None

    def status(self, group, peer):
        m = self.meta.get((group, peer), {})
        states = [v for k, v in sorted(m.items()) if k.startswith("status.")]
        failed = [s for s in states if s != "ok"]
        if not failed:
            return "ok"
        return f"{len(failed)} of {len(states)} reps failed: {failed[-1].removeprefix('FAILED: ')}"


def markdown(r):
    i = r.info
    lines = ["# Vireo against the other switches", "",
             f"- date: {i.get('date', '?')}; commit: `{i.get('git', '?')}`",
             f"- machine: {i.get('cpu', '?')}, {i.get('cores', '?')} cores; kernel {i.get('kernel', '?')}",
             f"- command: `{i.get('command', '?')}`",
             f"- {i.get('reps', '?')} reps interleaved across peers, {i.get('seconds', '?')} s per timed test; "
             "each cell: median (min–max of the reps); the CSV also has the coefficient of variation", ""]
    for group, (title, script, metrics, noise) in GROUPS.items():
        peers = r.peers.get(group)
        if not peers:
            continue
        lines += [f"## {title} (`{script}`)", ""]
        head = ["switch", "status"] + (["offloads"] if group == "tap" else [])
        head += [f"{label} {unit} ({'higher' if hib else 'lower'} is better)" for _, label, unit, hib in metrics]
        head += [label for _, label in noise]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for peer in peers:
            row = [f"**{peer}**" if peer == r.vireo(group) else peer, r.status(group, peer)]
            if group == "tap":
                row.append(r.meta.get((group, peer), {}).get("offloads", "—"))
            for metric, *_ in metrics + noise:
                s = r.stats(group, peer, metric)
                row.append(f"{fmt(s[0])} ({fmt(s[1])}–{fmt(s[2])})" if s else "—")
            lines.append("| " + " | ".join(row) + " |")
        vireo = r.vireo(group)
        others = [p for p in peers if p != vireo]
        if vireo and others:
            lines += ["", f"{vireo} ÷ peer, median over median (a ratio above 1 is better for rates, "
                          "below 1 for µs):", "",
                      "| peer | " + " | ".join(label for _, label, _, _ in metrics) + " |",
                      "|" + "---|" * (len(metrics) + 1)]
            for peer in others:
                cells = [fmt(x) + "×" if (x := r.ratio(group, peer, m)) is not None else "—" for m, *_ in metrics]
                lines.append(f"| {peer} | " + " | ".join(cells) + " |")
        lines += ["", "Versions:", ""]
        lines += [f"- {p}: {r.meta.get((group, p), {}).get('version', '?')}" for p in peers]
        lines.append("")
    return "\n".join(lines)


def write_csv(r, path):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["group", "peer", "metric", "unit", "higher_is_better", "reps", "median", "min", "max",
                    "cv_pct", "vireo_ratio", "status"])
        for group, (_, _, metrics, noise) in GROUPS.items():
            for peer in r.peers.get(group, []):
                for metric, _, unit, hib in metrics + [(m, label, "%", "") for m, label in noise]:
                    s = r.stats(group, peer, metric)
                    ratio = r.ratio(group, peer, metric) if peer != r.vireo(group) and hib != "" else None
                    nums = [s[4], *(round(x, 4) for x in s[:4])] if s else ["0", "", "", "", ""]
                    w.writerow([group, peer, metric, unit, hib, *nums,
                                "" if ratio is None else round(ratio, 4), r.status(group, peer)])


def svg(r):
    """One panel per metric: every peer's median as a bar, the reps' min–max as a whisker, Vireo's bar
    in its own colour and beside every other peer Vireo's ratio to it."""
    width, left, bar_w, row_h = 960, 190, 520, 20
    parts, y = [], 20

    def text(x, yy, s, size=12, anchor="start", weight="normal", fill="#222"):
        parts.append(f'<text x="{x}" y="{yy}" font-size="{size}" text-anchor="{anchor}" '
                     f'font-weight="{weight}" fill="{fill}">{html.escape(s)}</text>')

    i = r.info
    text(10, y, "Vireo against the other switches", 16, weight="bold")
    y += 18
    text(10, y, f"{i.get('date', '?')} · {i.get('cpu', '?')}, {i.get('cores', '?')} cores · kernel "
                f"{i.get('kernel', '?')} · {i.get('git', '?')} · median of {i.get('reps', '?')} reps, "
                "whiskers min–max; right: the median, and Vireo's ÷ it", 11, fill="#555")
    y += 14
    for group, (title, _, metrics, _) in GROUPS.items():
        peers = r.peers.get(group, [])
        if not peers:
            continue
        vireo = r.vireo(group)
        for metric, label, unit, hib in metrics:
            stats = {p: r.stats(group, p, metric) for p in peers}
            top = max((s[2] for s in stats.values() if s), default=0) or 1
            y += 26
            text(10, y, f"{title}: {label}, {unit} ({'higher' if hib else 'lower'} is better)", 13, weight="bold")
            for peer in peers:
                y += row_h
                s = stats[peer]
                text(left - 8, y, peer, anchor="end", weight="bold" if peer == vireo else "normal")
                if not s:
                    status = r.status(group, peer)
                    text(left, y, "no result" + ("" if status == "ok" else ": " + status), 11, fill="#a00")
                    continue
                colour = "#d9480f" if peer == vireo else "#4c6ef5"
                w = bar_w * s[0] / top
                parts.append(f'<rect x="{left}" y="{y - 12}" width="{w:.1f}" height="14" fill="{colour}"/>')
                x0, x1 = left + bar_w * s[1] / top, left + bar_w * s[2] / top
                parts.append(f'<line x1="{x0:.1f}" y1="{y - 5}" x2="{x1:.1f}" y2="{y - 5}" stroke="#111"/>')
                note = fmt(s[0])
                ratio = r.ratio(group, peer, metric) if peer != vireo else None
                if ratio is not None:
                    note += f"   {vireo} {fmt(ratio)}×"
                text(left + bar_w + 8, y, note, 11)
    y += 20
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
            f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>'
            + "".join(parts) + "</svg>\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    r = Results(out)
    (out / "results.md").write_text(markdown(r), encoding="utf-8")
    write_csv(r, out / "results.csv")
    (out / "chart.svg").write_text(svg(r), encoding="utf-8")
    print((out / "results.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
