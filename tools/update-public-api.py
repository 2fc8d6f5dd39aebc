#!/usr/bin/env python3
"""Adds every public symbol a tracked project reports as undeclared (RS0016) to its PublicAPI.Unshipped.txt.

Usage: tools/update-public-api.py src/CharRnn.Inference.Hosting [more project folders...]
Builds each project, reads the RS0016 diagnostics (their message holds the exact PublicAPI line), appends those lines to
the project's PublicAPI.Unshipped.txt (sorted, '#nullable enable' first) and builds again until none is left.
Review the diff: every new line is a public API promise.
"""
import pathlib
import re
import subprocess
import sys

PATTERN = re.compile(r"error RS0016: Symbol '(.*)' is not part of the declared public API")


def undeclared(project: pathlib.Path) -> set[str]:
    result = subprocess.run(["dotnet", "build", str(project), "-v", "q", "-nologo", "-p:TreatWarningsAsErrors=true"],
                            capture_output=True, text=True)
    here = str(project.resolve()) + "/"
    return {m.group(1) for line in result.stdout.splitlines()
            if here in line.split(": error", 1)[0] and (m := PATTERN.search(line))}


def main() -> None:
    for folder in map(pathlib.Path, sys.argv[1:]):
        unshipped = folder / "PublicAPI.Unshipped.txt"
        for _ in range(5):
            symbols = undeclared(folder)
            if not symbols:
                break
            lines = {l for l in unshipped.read_text().splitlines() if l and not l.startswith("#")} | symbols
            unshipped.write_text("#nullable enable\n" + "".join(l + "\n" for l in sorted(lines, key=str.lower)))
            print(f"{folder}: {len(symbols)} symbols added")


if __name__ == "__main__":
    main()
