"""Execute every notebook headless against a bundle; fail on any error.

Also checks that the committed notebooks carry no outputs. Usage:
    OPPVEKST_BUNDLE=path/to/bundle python notebooks/run_notebooks.py
"""
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def main() -> int:
    notebooks = sorted(HERE.glob("*.ipynb"))
    if len(notebooks) < 3:
        print(f"expected at least 3 notebooks in {HERE}", file=sys.stderr)
        return 1
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        if dirty:
            print(f"{path.name}: committed with outputs in cells {dirty}; clear them", file=sys.stderr)
            return 1
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        print(f"running {path.name} on {os.environ.get('OPPVEKST_BUNDLE', '../demo-bundle')}", flush=True)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    print(f"{len(notebooks)} notebooks ran without errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
