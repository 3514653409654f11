"""A PEP 517 build backend made of the standard library alone, for this folder's one pure-Python package.

pip installs the client without downloading anything: there are no build requirements to fetch into the
isolated build environment, and no `wheel` package is needed beside an older setuptools. It reads the
`[project]` table of pyproject.toml (name, version, description, readme, requires-python, dependencies,
scripts) and `[tool.offline_wheel]` (the packages and top-level modules to ship), and writes a wheel
(PEP 427), an editable wheel (PEP 660: a .pth file naming this folder) or an sdist.
"""
import base64
import hashlib
import io
import pathlib
import re
import tarfile
import zipfile

try:
    import tomllib
except ImportError:  # Python 3.10
    try:
        import tomli as tomllib
    except ImportError as missing:
        raise ImportError("building tickhub-client needs Python 3.11+ (tomllib) or the tomli package") from missing

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Fixed file times keep the archives reproducible (zip cannot store times before 1980).
EPOCH = (1980, 1, 1, 0, 0, 0)


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _project():
    return _pyproject()["project"]


def _layout():
    return _pyproject().get("tool", {}).get("offline_wheel", {})


def _normalized_name():
    """The distribution name as wheel and dist-info names spell it (PEP 503, then `-` as `_`)."""
    return re.sub(r"[-_.]+", "_", _project()["name"]).lower()


def _dist_info():
    return f"{_normalized_name()}-{_project()['version']}.dist-info"


def _wheel_name():
    return f"{_normalized_name()}-{_project()['version']}-py3-none-any.whl"


def _metadata():
    project = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {dependency}" for dependency in project.get("dependencies", [])]
    text = "\n".join(lines) + "\n"
    readme = project.get("readme")
    if readme:
        lines.append("Description-Content-Type: text/markdown")
        text = "\n".join(lines) + "\n\n" + (ROOT / readme).read_text(encoding="utf-8")
    return text


def _entry_points():
    scripts = _project().get("scripts", {})
    if not scripts:
        return None
    return "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in scripts.items())


def _sources():
    """(path in the archive, file) for every file the wheel ships: the packages' .py and marker files."""
    layout = _layout()
    for package in layout.get("packages", []):
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed"):
                yield path.relative_to(ROOT).as_posix(), path
    for module in layout.get("modules", []):
        yield f"{module}.py", ROOT / f"{module}.py"


class _Wheel:
    """A wheel being written: every file added is hashed into RECORD, written last."""

    def __init__(self, directory):
        self.path = pathlib.Path(directory) / _wheel_name()
        self.zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records = []

    def add(self, name, data):
        data = data.encode("utf-8") if isinstance(data, str) else data
        info = zipfile.ZipInfo(name, date_time=EPOCH)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def finish(self):
        info = _dist_info()
        self.add(f"{info}/METADATA", _metadata())
        self.add(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: offline_wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        entry_points = _entry_points()
        if entry_points:
            self.add(f"{info}/entry_points.txt", entry_points)
        record = f"{info}/RECORD"
        self.zip.writestr(zipfile.ZipInfo(record, date_time=EPOCH), "\n".join(self.records + [f"{record},,"]) + "\n")
        self.zip.close()
        return self.path.name


# ----- PEP 517 hooks

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = pathlib.Path(metadata_directory) / _dist_info()
    target.mkdir(parents=True, exist_ok=True)
    (target / "METADATA").write_text(_metadata(), encoding="utf-8")
    entry_points = _entry_points()
    if entry_points:
        (target / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return target.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = _Wheel(wheel_directory)
    for name, path in _sources():
        wheel.add(name, path.read_bytes())
    return wheel.finish()


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """The folder itself on sys.path: edits to the sources take effect without reinstalling."""
    wheel = _Wheel(wheel_directory)
    wheel.add(f"__editable__.{_normalized_name()}.pth", str(ROOT) + "\n")
    return wheel.finish()


def build_sdist(sdist_directory, config_settings=None):
    base = f"{_normalized_name()}-{_project()['version']}"
    name = f"{base}.tar.gz"
    files = ["pyproject.toml", "build_backend/offline_wheel.py"]
    readme = _project().get("readme")
    if readme:
        files.append(readme)
    files += [archive_name for archive_name, _ in _sources()]
    with tarfile.open(pathlib.Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        pkg_info = _metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mode = len(pkg_info), 0o644
        tar.addfile(info, io.BytesIO(pkg_info))
        for relative in files:
            data = (ROOT / relative).read_bytes()
            info = tarfile.TarInfo(f"{base}/{relative}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return name
