"""Scale benchmark (issue 15): is ingest flat, how far from the store's own loader?

Generates N records into F equal CSL-JSON files for each journal spread asked for,
ingests the files one after another into one store with the real CLI
(`publisher ingest --jobs 2`, a subprocess each), and records per file: records/s,
wall and CPU seconds (the ingest process and its workers), peak RSS of the ingest
process tree (sampled from /proc), store and side database size on disk, the load
average. Then, in the same run, the baseline: the store's quads dumped as N-Quads and
loaded into a fresh store by pyoxigraph's `Store.bulk_load` and by `oxigraph load`
(when the `oxigraph` CLI is installed), each in a subprocess, timed the same way.

Ratios against the issue's targets, per spread: last file / first file records/s
(target >= 0.8), ingest records/s / bulk-load records/s (>= 0.5), store size /
bulk-loaded size (<= 2), peak RSS (< 2 GiB), and the 1 M extrapolation (>= 670
records/s). Writes a JSON of every number, a Markdown table on stdout and a PNG plot
(records/s against records stored, one line per spread, the bulk loaders as
horizontal lines).

    .venv/bin/python bench/scale.py                     # 1 M records, 2,000 and 5 journals
    .venv/bin/python bench/scale.py --records 50000 --spread 2000 --spread 5 --spread 2000:zipf=1
    .venv/bin/python bench/scale.py --records 20000 --profile   # + py-spy on one more file

A spread is `JOURNALS` (every journal equally likely) or `JOURNALS:zipf=S` (the
journal of rank k drawn with weight 1/k**S). Big data goes to --work (default a
temporary folder under /tmp), removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import Generator, write_csl_json

BIN = Path(sys.executable).parent
GIB = 1024**3
TARGETS = {"flat": 0.8, "over_bulk": 0.5, "size_over_bulk": 2.0, "rss_gib": 2.0, "rps_1m": 670}


@dataclass
class Spread:
    journals: int
    zipf: float | None = None

    @classmethod
    def parse(cls, text: str) -> Spread:
        journals, _, rest = text.partition(":")
        zipf = None
        if rest:
            key, _, value = rest.partition("=")
            if key != "zipf" or not value:
                raise argparse.ArgumentTypeError(f"spread {text!r}: JOURNALS or JOURNALS:zipf=S")
            zipf = float(value)
        return cls(int(journals), zipf)

    @property
    def name(self) -> str:
        uniform = f"{self.journals} journals"
        return uniform if self.zipf is None else f"{uniform}, Zipf s={self.zipf:g}"

    @property
    def slug(self) -> str:
        return f"j{self.journals}" + ("" if self.zipf is None else f"-zipf{self.zipf:g}")


@dataclass
class Run:
    """One process run: wall, CPU of it and its children, peak RSS of its tree."""

    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    load_before: float
    load_after: float
    returncode: int
    output: str = ""


@dataclass
class FileResult:
    index: int
    records: int
    accepted: int
    stored_after: int
    records_per_s: float
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    store_mib: float
    index_mib: float
    load_before: float
    load_after: float


@dataclass
class SpreadResult:
    spread: str
    journals: int
    zipf: float | None
    files: list[FileResult] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1]: the parent
        rss[pid] = int(fields[21]) * page  # fields[21]: rss in pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run `command`, sampling its process tree's RSS; CPU from RUSAGE_CHILDREN."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of one process (KiB) as a floor, should a short run escape the sampler
    peak = max(peak, after.ru_maxrss * 1024 if after.ru_maxrss > before.ru_maxrss else 0)
    return Run(wall, cpu, peak / 2**20, load_before, os.getloadavg()[0], process.returncode, output)


def du(path: Path) -> int:
    """Bytes on disk (allocated blocks) of a file or a folder."""
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def write_files(spread: Spread, records: int, files: int, folder: Path, seed: int) -> list[Path]:
    """`files` CSL-JSON files of records/files records each, from one generator (numbers,
    DOIs and PMIDs run on across the files). Returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = Generator(seed, 0.01, spread.journals, zipf=spread.zipf)
    per_file = records // files
    paths = []
    for index in range(files + 1):  # one spare file, for the profile
        path = folder / f"part-{index:02d}.json"
        numbers = range(index * per_file, (index + 1) * per_file)
        with path.open("w", encoding="utf-8") as out:
            write_csl_json((generator.article(n) for n in numbers), out)
        paths.append(path)
    return paths


def ingest_command(store: Path, path: Path, jobs: int) -> list[str]:
    quarantine = store.parent / "quarantine"
    return [
        str(BIN / "publisher"), "ingest", "--store", str(store), "--jobs", str(jobs),
        "--quarantine", str(quarantine), str(path),
    ]  # fmt: skip


def accepted(output: str) -> int:
    """The N of ingest's summary line, `published: N, skipped: K (not articles),
    rejected: M (invalid)` (-1 if missing)."""
    for line in reversed(output.splitlines()):
        if line.startswith("published:"):
            return int(line.split()[1].rstrip(","))
    return -1


def baseline(store: Path, work: Path, records: int) -> dict[str, Any]:
    """Dump the store as N-Quads, then load the same quads into fresh stores with
    pyoxigraph's bulk_load and with `oxigraph load`, each timed in a subprocess."""
    dump = work / "dump.nq"
    code = (
        "import sys, pyoxigraph as ox\n"
        "store = ox.Store.read_only(sys.argv[1])\n"
        "store.dump(output=sys.argv[2], format=ox.RdfFormat.N_QUADS)\n"
        "print(len(store))\n"
    )
    run = measure([sys.executable, "-c", code, str(store), str(dump)])
    if run.returncode != 0:
        raise RuntimeError(f"dump failed: {run.output[-2000:]}")
    quads = int(run.output.split()[-1])
    result: dict[str, Any] = {
        "quads": quads,
        "quads_per_record": quads / records,
        "dump_s": run.wall_s,
        "dump_mib": dump.stat().st_size / 2**20,
    }
    loaders = {
        "bulk_load": [
            sys.executable,
            "-c",
            "import sys, pyoxigraph as ox\n"
            "ox.Store(sys.argv[1]).bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)\n",
        ],
    }
    if (BIN / "oxigraph").exists():
        loaders["oxigraph_load"] = [str(BIN / "oxigraph"), "load", "--location"]
    for name, command in loaders.items():
        target = work / f"bulk-{name}"
        shutil.rmtree(target, ignore_errors=True)
        if name == "bulk_load":
            run = measure([*command, str(target), str(dump)])
        else:
            run = measure([*command, str(target), "--file", str(dump)])
        if run.returncode != 0:
            raise RuntimeError(f"{name} failed: {run.output[-2000:]}")
        result[name] = {
            "wall_s": run.wall_s,
            "cpu_s": run.cpu_s,
            "peak_rss_mib": run.peak_rss_mib,
            "records_per_s": records / run.wall_s,
            "quads_per_s": quads / run.wall_s,
            "store_mib": du(target) / 2**20,
            "load_before": run.load_before,
            "load_after": run.load_after,
        }
        shutil.rmtree(target, ignore_errors=True)
    dump.unlink()
    return result


def profile(store: Path, path: Path, jobs: int, out: Path) -> dict[str, Any]:
    """Ingest one more file under `py-spy record --subprocesses`; the collapsed stacks
    go to `out`, the top functions (inclusive share of samples) into the result."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    command = [spy, "record", "--subprocesses", "--format", "raw", "--rate", "50"]
    command += ["--nonblocking", "-o", str(out), "--", *ingest_command(store, path, jobs)]
    run = measure(command)
    if run.returncode not in (0, 1) or not out.exists():
        return {"error": run.output[-2000:]}
    return {"wall_s": run.wall_s, "stacks": str(out), **top_functions(out)}


def top_functions(collapsed: Path, count: int = 25) -> dict[str, Any]:
    """Inclusive and self shares of samples per function from py-spy's collapsed
    stacks (`frame;frame;frame N`), over all processes and threads, idle included."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        total += samples
        frames = stack.split(";")
        roots = []
        while frames and frames[0].startswith("process "):  # a worker nests in its parent
            roots.append(frames.pop(0))
        if roots:
            kind = "main" if len(roots) == 1 else "worker"
            processes[f"{kind} {roots[-1].split(':', 1)[0]}"] += samples
        names = [_frame_name(f) for f in frames]
        for name in set(names):
            if not name.endswith(_PLUMBING):
                inclusive[name] += samples
        own[names[-1] if names else "?"] += samples
    share = {  # per cent of all samples
        "inclusive": [(n, round(100 * s / total, 1)) for n, s in inclusive.most_common(count)],
        "self": [(n, round(100 * s / total, 1)) for n, s in own.most_common(count)],
        "processes": [(n, round(100 * s / total, 1)) for n, s in processes.most_common(8)],
    }
    return {"samples": total, **share}


# Frames every stack passes through, left out of the inclusive list
_PLUMBING = (
    "(threading.py)", "(thread.py)", "(core.py)", "(main.py)", "(publisher)", "(cli.py)",
    "_bootstrap>)", "_bootstrap_external>)", "(process.py)", "(context.py)", "(popen_fork.py)",
    "(popen_spawn_posix.py)", "(spawn.py)", "(queues.py)", "(connection.py)",
)  # fmt: skip


def _frame_name(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `function (module.py)`."""
    name, _, where = frame.partition(" (")
    module = where.split(":")[0].rsplit("/", 1)[-1]
    return f"{name} ({module})" if module else name


def run_spread(spread: Spread, args: argparse.Namespace, work: Path) -> SpreadResult:
    folder = work / spread.slug
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    paths = write_files(spread, args.records, args.files, folder / "input", args.seed)
    print(f"[{spread.name}] generated {args.files} files in {time.perf_counter() - started:.0f} s")
    store = folder / "store"
    index = folder / "store.index.sqlite"
    result = SpreadResult(spread.name, spread.journals, spread.zipf)
    per_file = args.records // args.files
    for number, path in enumerate(paths[: args.files]):
        run = measure(ingest_command(store, path, args.jobs))
        if run.returncode not in (0, 1):  # 1: some records rejected (1% are broken)
            raise RuntimeError(f"ingest of {path} failed: {run.output[-3000:]}")
        row = FileResult(
            index=number + 1,
            records=per_file,
            accepted=accepted(run.output),
            stored_after=per_file * (number + 1),
            records_per_s=per_file / run.wall_s,
            wall_s=run.wall_s,
            cpu_s=run.cpu_s,
            peak_rss_mib=run.peak_rss_mib,
            store_mib=du(store) / 2**20,
            index_mib=du(index) / 2**20,
            load_before=run.load_before,
            load_after=run.load_after,
        )
        result.files.append(row)
        print(
            f"[{spread.name}] file {row.index}/{args.files}: {row.records_per_s:.0f} rec/s,"
            f" {row.wall_s:.1f} s, CPU {row.cpu_s:.1f} s, RSS {row.peak_rss_mib:.0f} MiB,"
            f" store {row.store_mib:.0f} MiB, load {row.load_before:.1f}-{row.load_after:.1f}",
            flush=True,
        )
    stored = per_file * args.files
    if not args.no_baseline:
        result.baseline = baseline(store, folder, stored)
    result.ratios = ratios(result, stored)
    if args.profile and not result.profile and spread == args.spread[0]:
        out = args.json.with_name(args.json.stem + f"-{spread.slug}-profile.txt")
        result.profile = profile(store, paths[-1], args.jobs, out)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def ratios(result: SpreadResult, stored: int) -> dict[str, Any]:
    files = result.files
    wall = sum(f.wall_s for f in files)
    found: dict[str, Any] = {
        "records": stored,
        "ingest_wall_s": wall,
        "ingest_cpu_s": sum(f.cpu_s for f in files),
        "ingest_records_per_s": stored / wall,
        "last_over_first": files[-1].records_per_s / files[0].records_per_s,
        "last_over_first_per_cpu_s": files[0].cpu_s / files[-1].cpu_s,  # equal files
        "peak_rss_mib": max(f.peak_rss_mib for f in files),
        "store_mib": files[-1].store_mib,
        "index_mib": files[-1].index_mib,
        "minutes_for_1m_at_this_rate": 1_000_000 / (stored / wall) / 60,
    }
    for loader in ("bulk_load", "oxigraph_load"):
        numbers = result.baseline.get(loader)
        if numbers:
            found[f"ingest_over_{loader}"] = (
                found["ingest_records_per_s"] / numbers["records_per_s"]
            )
            found[f"store_size_over_{loader}"] = found["store_mib"] / numbers["store_mib"]
    return found


def table(spreads: list[dict[str, Any]]) -> str:
    """Markdown tables of the JSON's "spreads"."""
    lines = []
    for result in spreads:
        lines += [
            f"\n*{result['spread']}*\n",
            "| file | records stored | records/s | wall s | CPU s | records/CPU s | peak RSS MiB"
            " | store MiB | side db MiB | load avg |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for f in result["files"]:
            cells = [
                str(f["index"]),
                f"{f['stored_after']:,}",
                f"{f['records_per_s']:.0f}",
                f"{f['wall_s']:.1f}",
                f"{f['cpu_s']:.1f}",
                f"{f['records'] / f['cpu_s']:.0f}",
                f"{f['peak_rss_mib']:.0f}",
                f"{f['store_mib']:.0f}",
                f"{f['index_mib']:.0f}",
                f"{f['load_before']:.1f}-{f['load_after']:.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        base = result["baseline"]
        if base:
            lines += [
                "",
                f"baseline: {base['quads']:,} quads ({base['quads_per_record']:.0f} per record),"
                f" N-Quads {base['dump_mib']:.0f} MiB",
                "",
                "| loader | wall s | CPU s | records/s | quads/s | peak RSS MiB | store MiB"
                " | load avg |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for loader in ("bulk_load", "oxigraph_load"):
                if loader in base:
                    b = base[loader]
                    lines.append(
                        f"| {loader} | {b['wall_s']:.1f} | {b['cpu_s']:.1f}"
                        f" | {b['records_per_s']:.0f} | {b['quads_per_s']:,.0f}"
                        f" | {b['peak_rss_mib']:.0f} | {b['store_mib']:.0f}"
                        f" | {b['load_before']:.1f}-{b['load_after']:.1f} |"
                    )
        r = result["ratios"]
        lines += [
            "",
            "| target | measured | target | met |",
            "|---|---|---|---|",
            _target("1. last file / first file records/s", r["last_over_first"], ">=", 0.8),
            _target(
                "1. the same per CPU second (less sensitive to the load)",
                result["files"][0]["cpu_s"] / result["files"][-1]["cpu_s"],  # equal files
                ">=",
                0.8,
            ),
            _target("2. records/s, all files", r["ingest_records_per_s"], ">=", 670, "{:.0f}"),
            _target("2. peak RSS GiB", r["peak_rss_mib"] / 1024, "<", 2.0),
        ]
        for loader in ("oxigraph_load", "bulk_load"):
            if f"store_size_over_{loader}" in r:
                lines.append(
                    _target(f"2. store size / {loader}", r[f"store_size_over_{loader}"], "<=", 2)
                )
        for loader in ("oxigraph_load", "bulk_load"):
            if f"ingest_over_{loader}" in r:
                lines.append(
                    _target(
                        f"3. ingest / {loader} records/s", r[f"ingest_over_{loader}"], ">=", 0.5
                    )
                )
    return "\n".join(lines)


def _target(what: str, value: float, op: str, goal: float, fmt: str = "{:.2f}") -> str:
    met = {">=": value >= goal, "<": value < goal, "<=": value <= goal}[op]
    return f"| {what} | {fmt.format(value)} | {op} {goal:g} | {'yes' if met else 'no'} |"


def plot(spreads: list[dict[str, Any]], out: Path, title: str) -> None:
    """records/s against records stored, from the JSON's "spreads" (see --replot); below
    it records per CPU second, which the other work on a shared machine disturbs less."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 9), sharex=True)
    for panel, per in ((top, "wall_s"), (bottom, "cpu_s")):
        for number, result in enumerate(spreads):
            colour = f"C{number}"
            xs = [f["stored_after"] for f in result["files"]]
            ys = [f["records"] / f[per] for f in result["files"]]
            name = result["spread"]
            panel.plot(xs, ys, marker="o", color=colour, label=f"publisher ingest --jobs 2, {name}")
            for loader, style in (("oxigraph_load", "--"), ("bulk_load", ":")):
                numbers = result["baseline"].get(loader)
                if numbers:
                    panel.axhline(
                        result["ratios"]["records"] / numbers[per],
                        color=colour,
                        linestyle=style,
                        label=f"{loader} of the same quads, {name}",
                    )
        if per == "wall_s":
            panel.axhline(670, color="grey", linestyle="-.", linewidth=1, label="target: 670/s")
        panel.set_yscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:,.0f}")
        panel.yaxis.set_major_formatter(plain)
        panel.yaxis.set_minor_formatter(plain)
        panel.xaxis.set_major_formatter(plain)
        panel.tick_params(axis="y", which="minor", labelsize=7)
        panel.grid(True, which="both", alpha=0.3)
    top.set_ylabel("records/s (wall clock, log scale)")
    bottom.set_ylabel("records per CPU second (all processes, log scale)")
    bottom.set_xlabel("records stored (after the file)")
    top.set_title(title, fontsize=10)
    handles, labels = top.get_legend_handles_labels()
    bottom.legend(handles, labels, fontsize=7, loc="center right")  # the empty middle
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)


def title(numbers: dict[str, Any]) -> str:
    m = numbers["machine"]
    return (
        f"{numbers['records']:,} records in {numbers['files']} files per spread, ingest --jobs"
        f" {numbers['jobs']}; {m['cpus']} CPUs shared, load avg"
        f" {m['load_average_at_start'][0]:.1f} at start"
    )


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    import pyoxigraph

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / GIB, 1),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "commit": commit,
        "started_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "load_average_at_start": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="per spread")
    parser.add_argument("--files", type=int, default=10, help="equal files, ingested in turn")
    parser.add_argument(
        "--spread",
        type=Spread.parse,
        action="append",
        help="JOURNALS or JOURNALS:zipf=S; repeat for several (default: 2000 and 5)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="publisher ingest --jobs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, help="folder for the files and stores")
    parser.add_argument("--keep", action="store_true", help="keep the files and stores")
    parser.add_argument("--no-baseline", action="store_true", help="skip dump and bulk loads")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the first spread, ingest one more file under py-spy --subprocesses",
    )
    parser.add_argument("--json", type=Path, default=Path("scale.json"), help="numbers out")
    parser.add_argument("--plot", type=Path, default=Path("scale.png"), help="PNG out")
    parser.add_argument("--replot", action="store_true", help="only redraw --plot from --json")
    args = parser.parse_args()
    if args.replot:
        found = json.loads(args.json.read_text())
        plot(found["spreads"], args.plot, title(found))
        print(table(found["spreads"]))
        return
    args.spread = args.spread or [Spread(2000), Spread(5)]
    work = args.work or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    numbers: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "machine": machine(),
        "records": args.records,
        "files": args.files,
        "jobs": args.jobs,
        "targets": TARGETS,
        "spreads": [],
    }
    results = []
    for spread in args.spread:
        result = run_spread(spread, args, work)
        results.append(result)
        numbers["spreads"].append(asdict(result))
        numbers["total_s"] = time.perf_counter() - started
        numbers["load_average_at_end"] = os.getloadavg()
        args.json.write_text(json.dumps(numbers, indent=1))  # after each spread
        plot(numbers["spreads"], args.plot, title(numbers))
    print(table(numbers["spreads"]))
    for result in results:
        if result.profile.get("inclusive"):
            print(f"\nprofile ({result.spread}), inclusive % of samples:")
            for name, share in result.profile["inclusive"]:
                print(f"  {share:5.1f}  {name}")
    print(f"\nJSON: {args.json}  plot: {args.plot}  total {time.perf_counter() - started:.0f} s")
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
