"""The README's Python code blocks run as written.

Each ```python block runs in a fresh interpreter against simulators served on loopback (their ports stand in
for the README's 8765 and 8766). A block may use only what it defines or imports, and the few names the
README's prose hands the reader: the credentials ``hsqbo serve`` printed, and the ``sims`` of the in-process
example a later block continues. Anything else it uses (an import left out) fails its test."""

from __future__ import annotations

import ast
import builtins
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# name -> what the prose says it is (filled in from the served simulators' ready-made tenants)
GIVEN = {"access_token": "the HubSpot portal's accessToken", "client_id": "the QBO company's clientId",
         "client_secret": "its clientSecret", "refresh_token": "its refreshToken", "realm_id": "its realmId",
         "sims": "the Simulators of the in-process example above"}


def blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def free_names(code: str) -> set[str]:
    """Names the code reads without binding or importing them anywhere (builtins left out)."""
    tree = ast.parse(code)
    bound, read = set(dir(builtins)), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return read - bound


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from harness.engine_settings import simulator_settings, write_settings
    from simulators.sims import Simulators

    sims = Simulators()
    with sims.serve() as servers:
        company = sims.new_qbo_company(seed="sample")
        portal = sims.new_hubspot_portal(seed="sample")
        folder = tmp_path_factory.mktemp("readme")
        doc = simulator_settings(company, portal, quickbooks_url=servers["quickbooks"].url,
                                 hubspot_url=servers["hubspot"].url)
        write_settings(folder / "hsqbo-sync.yaml", doc, "what `hsqbo serve --write-settings hsqbo-sync.yaml` writes")
        values = {"access_token": portal["accessToken"], "client_id": company["clientId"],
                  "client_secret": company["clientSecret"], "refresh_token": company["refreshToken"],
                  "realm_id": company["realmId"]}
        yield {"folder": folder, "values": values, "quickbooks": servers["quickbooks"].url,
               "hubspot": servers["hubspot"].url}


def test_the_readme_has_python_blocks_and_each_uses_only_what_it_or_the_prose_defines():
    found = blocks()
    assert len(found) >= 6
    for line, code in found:
        unknown = free_names(code) - set(GIVEN)
        assert not unknown, f"README.md:{line}: the block uses {', '.join(sorted(unknown))}, which it never defines " \
                            "or imports"


@pytest.mark.parametrize("line, code", blocks(), ids=[f"README.md:{line}" for line, _ in blocks()])
def test_a_readme_block_runs_as_written(served, line, code):
    code = code.replace("http://127.0.0.1:8765", served["quickbooks"]).replace("http://127.0.0.1:8766",
                                                                                served["hubspot"])
    given = free_names(code)
    prelude = [f"{name} = {served['values'][name]!r}  # {GIVEN[name]}" for name in sorted(given)
               if name in served["values"]]
    if "sims" in given:
        prelude.append("from simulators.sims import Simulators as _Simulators; sims = _Simulators()")
    result = subprocess.run([sys.executable, "-c", "\n".join([*prelude, code])], capture_output=True, text=True,
                            timeout=120, cwd=served["folder"])
    assert result.returncode == 0, f"README.md:{line}:\n{result.stderr[-3000:]}"
