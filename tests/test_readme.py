"""The README's example runs as written and prints what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_prints_what_it_promises():
    text = README.read_text()
    block = re.search(r"<!-- readme-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert block is not None, "the README lost its example"
    promised = re.search(r"It prints `(.*?)` then `(.*?)`", text)
    assert promised is not None
    done = subprocess.run([sys.executable, "-c", block.group(1)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [promised.group(1), promised.group(2)]
