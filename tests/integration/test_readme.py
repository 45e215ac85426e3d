"""Every code block in the README runs as written, against a mesh that `govmesh up` started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from govmesh.runtime.config import Settings
from tests.integration.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The Quick start's own commands install and start everything; CI runs its test command itself and
# tests/integration/test_up.py proves `govmesh up`.
NOT_RUN_HERE = {"Quick start"}


@dataclass(frozen=True)
class CodeBlock:
    language: str
    section: str
    line: int
    code: str


def readme_blocks() -> list[CodeBlock]:
    blocks: list[CodeBlock] = []
    section, language, start, body = "", None, 0, []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if language is None and (heading := re.match(r"#+ (.*)", line)):
            section = heading.group(1).strip()
        elif language is None and line.startswith("```"):
            language, start, body = line[3:].strip(), number, []
        elif language is not None and line.startswith("```"):
            blocks.append(CodeBlock(language, section, start, "\n".join(body) + "\n"))
            language = None
        elif language is not None:
            body.append(line)
    return blocks


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder that looks like the repository's root, with its own `.govmesh` and a mesh running in it."""
    folder = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if entry.name not in {".govmesh", ".git"}:
            (folder / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMESH_")}
    # Every port the mesh opens, free ones, so a developer's own mesh on the defaults is left alone.
    for name in Settings.model_fields:
        if name.endswith("_port"):
            env[f"GOVMESH_{name.upper()}"] = str(free_port())
    env["GOVMESH_WARNINGS_PORT"] = str(free_port())  # the warnings application's own settings
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GOVMESH_SHUTDOWN_GRACE_SECONDS"] = "2"
    process = subprocess.Popen(
        [sys.executable, "-m", "govmesh.cli", "up"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(process)
        yield folder, env
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(process: subprocess.Popen[str], timeout: float = 180) -> None:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if "Ctrl-C stops every process" in line:
            return
    raise AssertionError("govmesh up did not come up:\n" + "".join(seen))


def test_the_readme_has_runnable_examples_in_python_and_bash() -> None:
    languages = {block.language for block in readme_blocks() if block.section not in NOT_RUN_HERE}
    assert {"python", "bash"} <= languages
    # Blocks that are neither run nor parsed must say what they are, so nothing untested hides.
    assert languages <= {"python", "bash", "yaml", "text"}, languages


# The blocks run in order against one mesh (later ones use what earlier ones made), the demo's among them.
@pytest.mark.timeout(900)
def test_every_python_and_bash_block_runs_as_written(workspace: tuple[Path, dict[str, str]]) -> None:
    folder, env = workspace
    for block in readme_blocks():
        if block.section in NOT_RUN_HERE or block.language not in {"python", "bash"}:
            continue
        if block.language == "python":
            script = folder / f"readme_{block.line}.py"
            script.write_text(block.code, encoding="utf-8")
            command = [sys.executable, str(script)]
        else:
            command = ["bash", "-euo", "pipefail", "-c", block.code]
        ran = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert ran.returncode == 0, (
            f"README.md:{block.line} ({block.section}) failed with {ran.returncode}:\n{ran.stdout}\n{ran.stderr}"
        )


def test_every_yaml_block_is_a_setting_govmesh_reads() -> None:
    from govmesh.services.gateway.domain.limits import parse_limits

    blocks = [block for block in readme_blocks() if block.language == "yaml"]
    assert blocks
    for block in blocks:
        parse_limits(yaml.safe_load(block.code), max_message_bytes=Settings().max_message_bytes)
