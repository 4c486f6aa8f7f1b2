"""Collect one bench/run.sh run into bench/results/: the scimbench JSON reports (bearer token redacted) and
summary-<TAG>.md = the run's context (date, commit, load) + the harness's side-by-side tables + a noise table.

Standard library only; the tables themselves come from the harness (`scimbench.py report`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

WORKLOADS = ("W1", "W2", "W2b", "W3", "W4", "W5", "W6")
MIN_WALL_S = 5.0  # /proc/stat ticks are 10 ms and the harness samples every 0.2 s: shorter windows are noise


def redact(report: dict) -> dict:
    argv = report.get("meta", {}).get("argv") or []
    for i, arg in enumerate(argv):
        if arg == "--token" and i + 1 < len(argv):
            argv[i + 1] = "<redacted>"
        elif arg.startswith("--token="):
            argv[i] = "--token=<redacted>"
    return report


def git(project: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(project), *args], capture_output=True, text=True, timeout=30, check=False
        ).stdout.rstrip()
    except OSError:
        return ""


def gib(mem: str | None) -> str:
    try:
        return f"{int(str(mem).split()[0]) / 1024**2:.0f} GiB"
    except (ValueError, IndexError):
        return str(mem)


def num(x: float | None, nd: int = 2) -> str:
    return "-" if x is None else f"{x:,.{nd}f}"


def noise_table(reports: dict[str, dict]) -> list[str]:
    """Per workload and peer: server CPU (cores), client CPU (cores), CPU used by anything else (cores)."""
    peers = list(reports)
    out = [
        "| workload | " + " | ".join(peers) + " |",
        "|---|" + "---|" * len(peers),
    ]
    for w in WORKLOADS:
        if not any(w in r["workloads"] for r in reports.values()):
            continue
        cells = []
        for r in reports.values():
            res = r["workloads"].get(w)
            mach = (res or {}).get("machine") or {}
            wall = mach.get("wall_s")
            if not res or not wall:
                cells.append("-")
                continue
            if wall < MIN_WALL_S:
                cells.append(f"({wall:.1f} s: too short to tell)")
                continue
            srv = (res.get("server") or {}).get("cpu_s")
            cells.append(
                f"{num(srv / wall if srv is not None else None)} / {num(mach['client_cpu_s'] / wall)} / "
                f"**{num(mach['other_cpu_s'] / wall)}**"
            )
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    return out


def first_workloads(reports: dict[str, dict]) -> set[str]:
    return {w for r in reports.values() for w in r["workloads"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness", required=True, type=Path)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--project", required=True, type=Path)
    ap.add_argument("--started", default="")
    ap.add_argument("--finished", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("peers", nargs="*")
    a = ap.parse_args()

    a.out.mkdir(parents=True, exist_ok=True)
    reports: dict[str, dict] = {}
    written: list[str] = []
    missing: list[str] = []
    for peer in a.peers:
        src = a.harness / "results" / f"{peer}-{a.tag}.json"
        if not src.is_file():
            missing.append(peer)
            continue
        report = redact(json.loads(src.read_text()))
        dst = a.out / src.name
        dst.write_text(json.dumps(report, indent=1) + "\n")
        reports[peer] = report
        written.append(str(dst))
    if not written:
        print("no reports were produced", file=sys.stderr)
        return 1

    tables = subprocess.run(
        [sys.executable, str(a.harness / "scimbench.py"), "report", *written],
        capture_output=True, text=True, check=True,
    ).stdout

    first = next(iter(reports.values()))["meta"]
    host = first.get("host") or {}
    dirty = git(a.project, "status", "--porcelain", "--", "src", "pyproject.toml", "constraints.txt")
    lines = [
        f"# scimbench run {a.tag}: {', '.join(reports)}",
        "",
        f"- started {a.started}, finished {a.finished} (UTC); loadavg before: {a.load_before}",
        f"- command: `{a.command}`",
        f"- scimkeeper: commit {git(a.project, 'rev-parse', '--short', 'HEAD') or '?'}"
        + (
            "; working tree differs from it in: " + ", ".join(f"`{ln[3:]}`" for ln in dirty.splitlines())
            if dirty
            else " (clean src/)"
        ),
        f"- N={first.get('n')}, workloads {','.join(w for w in WORKLOADS if w in first_workloads(reports))}; "
        f"client {(first.get('client_version') or first.get('client') or '').split(' [')[0]}",
        f"- machine: {host.get('nproc')} CPUs ({host.get('cpu')}), {gib(host.get('mem'))} RAM, kernel {host.get('kernel')}, "
        f"Python {host.get('python')}",
        "- scimkeeper runs as one `scimkeeper serve` process (uvicorn, logging at WARNING); `scimkeeper-pg` also "
        "counts the PostgreSQL postmaster's processes (as django-scim2-pg does), which includes any other "
        "database activity on that server during the run.",
    ]
    if missing:
        lines.append(f"- **no report** (failed to start or crashed): {', '.join(missing)}")
    lines += ["", tables.strip(), "", "### CPU during each workload (cores: server / client / **other**)", ""]
    lines += noise_table(reports)
    lines += [
        "",
        "'other' is CPU used by neither the server nor the load generator (the harness's `other_cpu_s` divided by "
        "the workload's wall time); above ~0.2 core the figures are probably disturbed.",
        "",
    ]
    summary = a.out / f"summary-{a.tag}.md"
    summary.write_text("\n".join(lines))
    print(f"wrote {summary} and {len(written)} reports to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
