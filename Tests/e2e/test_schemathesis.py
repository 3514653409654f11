"""Schemathesis against docs/openapi.yaml: requests generated from the spec, answers checked against it. Bounded:
a fixed seed and a handful of examples per operation, so the run takes seconds.

NUL bytes are generated too: a URL that decodes to one (`?broker=%00`) gets its 400 like any other bad argument."""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, start_hub

PUBLISH_TOKEN = "schemathesis-publish-token"


@pytest.fixture
def hub():
    process = start_hub("--offline", env={"TICKHUB_PUBLISH_TOKEN": PUBLISH_TOKEN})
    yield process
    process.stop()


def schemathesis():
    found = shutil.which("schemathesis") or shutil.which("st")
    return [found] if found else [sys.executable, "-m", "schemathesis.cli"]


def run_schemathesis(hub, *selection):
    result = subprocess.run(
        [*schemathesis(), "run", str(ROOT / "docs" / "openapi.yaml"), "--url", hub.fields["url"].rstrip("/"),
         "--phases", "examples,fuzzing", "--max-examples", "10", "--seed", "1", "--generation-allow-x00", "true",
         "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
         "-H", f"Authorization: Bearer {PUBLISH_TOKEN}", "--request-timeout", "20", *selection],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    summary = result.stdout[-3000:]
    print(summary)
    assert result.returncode == 0, summary
    assert " generated" in summary, summary


def test_every_answer_matches_the_spec_and_none_is_a_server_error(hub):
    # Bars first, while IBKR is up: the run of every other operation disconnects it (POST /api/ibkr/disconnect), and
    # bars no provider can give are then a documented 503, not a fault.
    run_schemathesis(hub, "--include-operation-id", "getBars")
    run_schemathesis(hub, "--exclude-operation-id", "getBars")
