"""deploy/tickhub.service: systemd accepts it as written, and it keeps the sandbox docs/deploy.md promises."""
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT

UNIT = ROOT / "deploy" / "tickhub.service"
INSTALLED_BINARY = "/usr/local/bin/tickhub"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

if SYSTEMD_ANALYZE is None:
    pytest.skip("systemd-analyze is not installed (Debian package systemd)", allow_module_level=True)


def directives(text):
    """(section, key) -> [values], in file order; comments and blank lines skipped."""
    found, section = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault((section, key.strip()), []).append(value.strip())
    return found


def test_unit_passes_systemd_analyze_verify(tmp_path):
    text = UNIT.read_text()
    # verify checks that the executable exists: point it at the one this checkout built.
    binary = BIN / "tickhub"
    assert binary.is_file(), f"{binary} is missing: build first (swift build)"
    assert text.count(f"ExecStart={INSTALLED_BINARY} ") == 1, "ExecStart no longer runs /usr/local/bin/tickhub"
    unit = tmp_path / "tickhub.service"
    unit.write_text(text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={binary} "))

    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Other units on the machine may draw warnings of their own; none may be about this one.
    about_ours = [line for line in result.stderr.splitlines() if "tickhub" in line]
    assert about_ours == [], "\n".join(about_ours)


def test_unit_runs_the_hub_sandboxed():
    found = directives(UNIT.read_text())

    def one(key, section="Service"):
        values = found.get((section, key), [])
        assert len(values) == 1, f"[{section}] {key}: {values}"
        return values[0]

    assert one("ExecStart") == f"{INSTALLED_BINARY} --config /etc/tickhub/tickhub.json"
    for key, value in {
        "DynamicUser": "yes", "StateDirectory": "tickhub", "ProtectSystem": "strict", "ProtectHome": "yes",
        "NoNewPrivileges": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "Restart": "on-failure",
        "EnvironmentFile": "-/etc/tickhub/tickhub.env",
    }.items():
        assert one(key) == value, key
    assert one("RestrictAddressFamilies").split() == ["AF_INET", "AF_INET6", "AF_UNIX"]
    environment = dict(v.split("=", 1) for v in found[("Service", "Environment")])
    # The database in the state directory, the one place ProtectSystem=strict leaves writable.
    assert environment["TICKHUB_DATA_DIR"] == "/var/lib/tickhub"
    assert one("WantedBy", "Install") == "multi-user.target"


def test_unit_holds_no_secret():
    text = UNIT.read_text()
    # Secrets belong in the EnvironmentFile; the unit is world-readable.
    assert not re.search(r"^\s*Environment=.*(TOKEN|API_KEY)=", text, re.M)
