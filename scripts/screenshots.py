"""Screenshots of the pages for the docs: docs/screenshots/*.png, made again by running

    python scripts/screenshots.py [--chromium /usr/bin/chromium] [--out docs/screenshots]

It ingests the bundled example records, the PubMed record of NEJM 22663011 from
../shared (when there), the synthetic ClinicalTrials.gov record of its trial and the
Crossref fixture with an ORCID iD (tests/data) into a fresh store, minted for the
address it then serves on (so no warning shows), starts `publisher serve` on a free
port, and photographs the landing, article, person, journal, trial, search and API pages
in headless Chromium (Debian's `chromium`; Playwright drives it, nothing is downloaded).
Every request to another host is aborted, as in the tests.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Route, sync_playwright

REPO = Path(__file__).resolve().parents[1]
SOURCES = [
    *sorted((REPO / "publisher" / "examples" / "records").glob("*.txt")),
    REPO.parent / "shared" / "samples" / "pubmed" / "pubmed_22663011_efetch.xml",
    REPO / "tests" / "data" / "ctgov" / "nct01245062_synthetic.json",
    REPO / "tests" / "data" / "crossref" / "work_trial_funder_orcid.json",
]
# file name -> path on the server (what each picture shows)
PAGES = {
    "landing": "/",
    "article": "/article/doi/10.1056/nejmoa1203421",
    "person": "/person/doi/10.1056/nejmoa1203421/1",
    "journal": "/periodical/issn/0028-4793",
    "trial": "/trial/nct/NCT01245062",
    "search": "/search?q=melanoma",
    "api": "/api",
}
VIEWPORT = {"width": 1100, "height": 1300}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def publisher(*args: str) -> list[str]:
    return [sys.executable, "-m", "publisher.cli", *args]


def ingest(store: Path, base: str, quarantine: Path) -> None:
    sources = [str(path) for path in SOURCES if path.exists()]
    command = publisher("ingest", "--store", str(store), "--base-uri", base)
    command += ["--quarantine", str(quarantine), *sources]
    subprocess.run(command, check=True, capture_output=True, text=True)


def serve(store: Path, base: str, port: int) -> subprocess.Popen[bytes]:
    command = publisher("serve", "--store", str(store), "--base-uri", base, "--port", str(port))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(base, timeout=5)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    raise SystemExit("the server did not start within 90 s")


def photograph(chromium: Path, base: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport=VIEWPORT)

        def only_ours(route: Route) -> None:
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                route.fallback()
            else:
                route.abort()

        context.route("**/*", only_ours)
        page = context.new_page()
        for name, path in PAGES.items():
            page.goto(base.rstrip("/") + path)
            page.wait_for_load_state("networkidle")
            if name == "api":
                page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            written.append(target)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    options = parser.parse_args()
    if not options.chromium.exists():
        raise SystemExit(f"{options.chromium} is missing: apt-get install chromium")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        store = Path(folder) / "store"
        ingest(store, base, Path(folder) / "quarantine")
        process = serve(store, base, port)
        try:
            for path in photograph(options.chromium, base, options.out):
                print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
