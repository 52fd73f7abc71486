"""The `deals` command as a new user meets it: its version, its help, and one clear line for each mistake."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from service import __version__
from tests.hardening.serving import deals_serve, wait_until_up
from tests.reliability.servers import ROOT, free_port, service_env


def deals(*args: str, cwd: Path = ROOT, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.entrypoints.cli", *args], env=service_env(**settings),
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_version_prints_the_program_version() -> None:
    done = deals("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"deals {__version__}")


def test_help_shows_no_metavars_on_flags_and_replay_takes_at_version() -> None:
    for args in ((), ("replay",), ("serve",), ("demo",), ("worker",), ("keys", "create")):
        done = deals(*args, "--help")
        assert done.returncode == 0, done.stderr
        assert "<bool>" not in done.stdout, done.stdout
        assert re.search(r"^\s+--help\s+Show this message and exit\.$", done.stdout, re.M), done.stdout
    replay_help = deals("replay", "--help").stdout
    assert "--at-version" in replay_help
    assert not re.search(r"--version\b", replay_help)


def test_a_bad_log_level_is_one_line_naming_the_allowed_values(tmp_path: Path) -> None:
    done = deals("serve", "--log-level", "bogus", database_url=f"sqlite:///{tmp_path}/deals.db")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "deals serve: --log-level 'bogus' is not one of critical, error, warning, info, debug, trace"]


def test_bad_settings_name_each_variable_and_what_is_allowed_without_a_traceback(tmp_path: Path) -> None:
    done = deals("serve", database_url=f"sqlite:///{tmp_path}/deals.db", pool_size="0", log_level="loud",
                 write_mode="fast", run_background="maybe", cipher_key="not-a-key")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "deals: bad settings (environment or .env):"
    assert sorted(lines[1:]) == sorted([
        "DEALS_POOL_SIZE='0': must be greater than or equal to 1",
        "DEALS_LOG_LEVEL='loud': must be 'debug', 'info', 'warning' or 'error'",
        "DEALS_WRITE_MODE='fast': must be 'group' or 'naive'",
        "DEALS_RUN_BACKGROUND='maybe': must be a valid boolean, unable to interpret input",
        "DEALS_CIPHER_KEY: must be 16, 24 or 32 random bytes in base64 (make one with `deals keys cipher`)",
    ])
    assert "not-a-key" not in done.stderr
    replay = deals("replay", "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b", database_url="mysql://u:secret@db/deals")
    assert replay.returncode == 2
    assert replay.stderr.splitlines()[1:] == ["DEALS_DATABASE_URL: must start with sqlite:/// or postgresql://"]


def test_replay_of_something_that_is_not_an_id_says_so(tmp_path: Path) -> None:
    done = deals("replay", "nope", database_url=f"sqlite:///{tmp_path}/deals.db")
    assert done.returncode == 2
    assert "badly formed" not in done.stderr + done.stdout
    assert done.stderr.startswith("deals replay: 'nope' is not a deal id; deal ids are UUIDs")
    assert len(done.stderr.splitlines()) == 1


def test_serve_to_a_pipe_prints_its_banner_whole_and_the_open_warning_once_then_json_logs(tmp_path: Path) -> None:
    process, url = deals_serve(tmp_path)
    try:
        wait_until_up(url, process)
    finally:
        process.stop()
    lines = process.log.read_text().splitlines()
    assert re.fullmatch(r"Deals API on http://127\.0\.0\.1:\d+  \(docs: http://127\.0\.0\.1:\d+/docs, storage: "
                        r"SQLite \(.*deals\.db\)\)", lines[0]), lines[:3]
    assert sum("the API is OPEN" in line for line in lines) == 1
    assert all(line.startswith("{") for line in lines[1:]), lines[1:5]


def test_serve_on_a_terminal_logs_readable_lines_and_json_when_asked(tmp_path: Path) -> None:
    readable = _serve_on_a_terminal(tmp_path / "text")
    assert re.search(r"^\d\d:\d\d:\d\d\.\d{3} WARNING deals\.security  no API keys configured", readable, re.M)
    assert '{"ts"' not in readable
    asked = _serve_on_a_terminal(tmp_path / "json", log_format="json")
    assert re.search(r'^\{"ts": ".*", "level": "warning", "logger": "deals\.security"', asked, re.M), asked


def _serve_on_a_terminal(folder: Path, **settings: str) -> str:
    folder.mkdir()
    port = free_port()
    env = service_env(database_url=f"sqlite:///{folder}/deals.db", **settings)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "service.entrypoints.cli", "serve", "--port", str(port)], env=env,
                               cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"Application startup complete" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 65536)
    finally:
        process.terminate()
        process.wait(15)
        os.close(leader)
    text = seen.decode(errors="replace").replace("\r\n", "\n")
    assert "Application startup complete" in text, text
    return text


def test_demo_prints_only_the_story_and_writes_no_file_here(tmp_path: Path) -> None:
    done = deals("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    assert "Timeline" in done.stdout and "counter_proposal_pending" in done.stdout
    assert "signing_withheld" in done.stdout
    assert not re.search(r'^\s*\{"ts"|"level":|Warning', done.stdout, re.M), done.stdout
    assert list(tmp_path.iterdir()) == []
    again = deals("demo", cwd=tmp_path)
    assert re.findall(r"version (\d+)", again.stdout) == re.findall(r"version (\d+)", done.stdout) == ["13"]


def test_demo_verbose_logs_on_stderr_and_database_keeps_the_story(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/kept.db"
    done = deals("demo", "--verbose", "--database", database, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"logger": "service.bootstrap", "msg": "started DealListWorker"' in done.stderr
    assert "Warning" not in done.stderr
    deal_id = re.search(r"deal ([0-9a-f-]{36})", done.stdout)
    assert deal_id is not None
    replay = deals("replay", deal_id.group(1), database_url=database)
    assert replay.returncode == 0, replay.stderr
    assert "counter_proposal_pending" in replay.stdout
