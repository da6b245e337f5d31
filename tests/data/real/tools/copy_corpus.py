"""Copy the corpus files out of local git snapshots (`fetch`ed to /work/.mirror).

Run once by hand; prints `dest<TAB>repo<TAB>commit<TAB>path<TAB>licence` lines for SOURCES.md.
"""

import subprocess
import sys
from pathlib import Path

from manifest import FILES

MIRROR = Path("/work/.mirror")
HERE = Path(__file__).resolve().parents[1]


def git_dir(repo: str) -> Path:
    base = MIRROR / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def main() -> None:
    for dest, repo, path, licence in FILES:
        git = ["git", "-C", str(git_dir(repo))]
        commit = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        data = subprocess.run(
            [*git, "show", f"HEAD:{path}"], capture_output=True, check=True
        ).stdout
        target = HERE / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print("\t".join((dest, repo, commit, path, licence, str(len(data)))))


if __name__ == "__main__":
    sys.exit(main())
