"""A local Neo4j Community server for development, tests and benchmarks: `./dev neo4j
start|stop|status|admin`.

Neo4j comes from Maven Central as ordinary artifacts (pom.xml beside this file, pinned): Maven resolves the
runtime classpath once (later runs use its local repository and the classpath cached in the data folder), and
the server is Neo4j's own community bootstrapper started from that classpath (Launcher.java), configured by a
neo4j.conf this script writes. Bolt listens on 127.0.0.1 only, authentication is on, and the password of user
`neo4j` is generated on the first start and kept in DATA/password (0600).

    start [--port P] [--data DIR]   start (or find running) and print the three `export ORGGRAPH_…` lines
    stop [--data DIR]               stop the server of that folder
    status [--data DIR]             say whether it runs, where, and with which version
    env [--data DIR]                print the export lines of the running server
    admin [--data DIR] ARGS...      neo4j-admin (e.g. `database import full …`) on that folder's server home

Only the standard library is needed; when the `neo4j` driver can be imported, `start` also waits until a query
answers (not only the Bolt handshake).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "Launcher.java"
DEFAULT_DATA = ROOT / ".neo4j"
DEFAULT_PORT = 7687
USER = "neo4j"
START_TIMEOUT = float(os.environ.get("ORGGRAPH_NEO4J_START_TIMEOUT", "240"))

JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class Fail(Exception):
    """A message for the user; exit 1."""


def log(msg: str) -> None:
    print(f"[neo4j] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------
# versions


def pinned_version() -> str:
    m = re.search(r"<neo4j\.version>([^<]+)</neo4j\.version>", POM.read_text(encoding="utf-8"))
    if not m:
        raise Fail(f"{POM} 中没有 neo4j.version")
    return m.group(1).strip()


def java_needed(version: str) -> int:
    """Neo4j 5.x runs on Java 17 and 21; the calendar-versioned releases (2025.01 on) need Java 21 or
    newer."""
    return 17 if version.startswith("5.") else 21


def java_major(java: Path) -> int | None:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def find_java(need: int) -> Path:
    """The newest Java on the machine that runs the pinned Neo4j: ORGGRAPH_NEO4J_JAVA_HOME, JAVA_HOME, the
    JDKs under /usr/lib/jvm (Debian) and /Library/Java/JavaVirtualMachines (macOS), then `java` on PATH."""
    homes: list[Path] = []
    for var in ("ORGGRAPH_NEO4J_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            homes.append(Path(os.environ[var]))
    for base in (Path("/usr/lib/jvm"), Path("/Library/Java/JavaVirtualMachines")):
        if base.is_dir():
            homes.extend(sorted(base.iterdir()))
    candidates = [h / "bin" / "java" for h in homes] + [h / "Contents/Home/bin/java" for h in homes]
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    best: tuple[int, Path] | None = None
    seen: set[Path] = set()
    for c in candidates:
        if not c.is_file() or c.resolve() in seen:
            continue
        seen.add(c.resolve())
        major = java_major(c)
        if major is not None and major >= need and (best is None or major > best[0]):
            best = (major, c)
    if best is None:
        raise Fail(
            f"Neo4j {pinned_version()} 需要 Java {need} 或更高版本，本机没有找到。"
            f"请安装（如 Temurin {need}+）并设置 ORGGRAPH_NEO4J_JAVA_HOME，或把 tools/neo4j/pom.xml "
            "的版本改为 5.26.x（Java 17）。"
        )
    return best[1]


# ----------------------------------------------------------------------------------------------------
# classpath


def classpath(data: Path) -> str:
    """Maven's runtime classpath for pom.xml, cached in DATA/classpath.txt (keyed by the pom's hash)."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    cache = data / f"classpath-{digest}.txt"
    # Also kept per user: a new folder (a test's second server, a benchmark's) then skips Maven (~1 min).
    shared = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "orggraph"
        / f"neo4j-classpath-{digest}.txt"
    )
    for known in (cache, shared):
        if known.is_file():
            cp = known.read_text(encoding="utf-8").strip()
            if cp and all(Path(p).is_file() for p in cp.split(os.pathsep)):
                if known is shared:
                    cache.write_text(cp + "\n", encoding="utf-8")
                return cp
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Fail("需要 Maven（mvn）来获取 Neo4j。Debian：apt-get install maven。")
    log(f"resolving Neo4j {pinned_version()} with Maven (the first run downloads it)")
    tmp = cache.with_suffix(".tmp")
    r = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={tmp}"],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0 or not tmp.is_file():
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
        raise Fail(f"Maven 未能获取 Neo4j（mvn dependency:build-classpath 退出码 {r.returncode}）：\n{tail}")
    tmp.replace(cache)
    with contextlib.suppress(OSError):
        shared.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, shared)
    return cache.read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------------------------------------------- the
# folder


class Home:
    """One server's folder: conf/, data/, logs/, run/, import/ (empty, private), password, port, pid."""

    def __init__(self, data: Path) -> None:
        self.root = data.resolve()
        self.conf = self.root / "conf"
        self.pidfile = self.root / "run" / "neo4j.pid"
        self.portfile = self.root / "run" / "port"
        self.passfile = self.root / "password"
        self.console = self.root / "logs" / "console.log"

    def make(self) -> None:
        for d in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        os.chmod(self.root / "import", 0o700)

    def env(self, java: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(NEO4J_HOME=str(self.root), NEO4J_CONF=str(self.conf), JAVA_HOME=str(java.parent.parent))
        return env

    def password(self) -> str:
        return self.passfile.read_text(encoding="utf-8").strip()

    def pid(self) -> int | None:
        """The server's pid when it is running (a pid file naming a live Launcher of this folder)."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            # No /proc (macOS): fall back on "a process with that pid exists".
            try:
                os.kill(pid, 0)
            except OSError:
                return None
            return pid
        if any(b"Launcher" in part for part in cmdline) and any(
            str(self.root).encode() in p for p in cmdline
        ):
            return pid
        return None

    def port(self) -> int | None:
        try:
            return int(self.portfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def write_conf(self, port: int, pagecache: str, tx_memory: str) -> None:
        conf = f"""# Written by tools/neo4j/neo4jctl.py on every start; edit the script, not this file.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:{port}
server.bolt.advertised_address=127.0.0.1:{port}
server.http.enabled=false
server.https.enabled=false
dbms.security.auth_enabled=true
server.directories.import={self.root / "import"}
dbms.security.allow_csv_import_from_file_urls=false
server.memory.pagecache.size={pagecache}
db.memory.transaction.max={tx_memory}
dbms.memory.transaction.total.max=2g
db.transaction.timeout=5m
dbms.usage_report.enabled=false
"""
        (self.conf / "neo4j.conf").write_text(conf, encoding="utf-8")


def export_lines(home: Home) -> str:
    return (
        f"export ORGGRAPH_URI=bolt://127.0.0.1:{home.port()}\n"
        f"export ORGGRAPH_NEO4J_USER={USER}\n"
        f"export ORGGRAPH_NEO4J_PASSWORD={home.password()}\n"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def bolt_handshake(port: int) -> bool:
    """True when something on the port speaks Bolt (the magic preamble, then a version it accepts)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"\x60\x60\xb0\x17" + b"\x00\x08\x08\x05" + b"\x00\x00\x04\x04" + b"\x00" * 8)
            reply = s.recv(4)
    except OSError:
        return False
    return len(reply) == 4 and reply != b"\x00\x00\x00\x00"


def query_answers(port: int, password: str) -> bool:
    try:
        import neo4j  # optional: only the Bolt handshake is checked without it
    except ImportError:
        return True
    try:
        with neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=(USER, password)) as d:
            d.execute_query("RETURN 1", database_="neo4j")
        return True
    except Exception:  # not ready yet, whatever the reason; the caller retries
        return False


# ----------------------------------------------------------------------------------------------------
# commands


def start(data: Path, port: int | None, heap: str, pagecache: str, tx_memory: str) -> int:
    home = Home(data)
    running = home.pid()
    if running is not None:
        if port is not None and port != home.port():
            raise Fail(
                f"{home.root} 的 Neo4j 已在端口 {home.port()} 运行（pid {running}）；先 ./dev neo4j stop。"
            )
        log(f"already running (pid {running}, port {home.port()})")
        sys.stdout.write(export_lines(home))
        return 0
    version = pinned_version()
    java = find_java(java_needed(version))
    home.make()
    cp = classpath(home.root)
    port = port if port is not None else (home.port() or DEFAULT_PORT)
    if port == 0:
        port = free_port()
    if port_taken(port):
        raise Fail(f"端口 127.0.0.1:{port} 已被占用。请用 --port 另选端口。")
    home.write_conf(port, pagecache, tx_memory)
    home.portfile.write_text(str(port))
    env = home.env(java)
    if not (home.root / "data" / "dbms" / "auth.ini").exists():
        # Never starting with "-": neo4j-admin would read such a password as an option and refuse (1 start in
        # 64).
        password = "n" + secrets.token_urlsafe(18)
        r = subprocess.run(
            [str(java), "-cp", cp, "org.neo4j.cli.AdminTool", "dbms", "set-initial-password", password],
            env=env,
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise Fail(f"设置 Neo4j 初始密码失败：{(r.stdout + r.stderr).strip()[-800:]}")
        fd = os.open(home.passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
    major = java_major(java) or 0
    flags = list(JVM_FLAGS)
    if major >= 23:
        flags.append("--sun-misc-unsafe-memory-access=allow")
    cmd = [
        str(java),
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *flags,
        "-cp",
        cp,
        str(LAUNCHER),
        f"--home-dir={home.root}",
        f"--config-dir={home.conf}",
    ]
    log(f"starting Neo4j {version} (Java {major}) on 127.0.0.1:{port}, data {home.root}")
    with open(home.console, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    home.pidfile.write_text(str(proc.pid))
    deadline = time.monotonic() + START_TIMEOUT
    password = home.password()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = "\n".join(home.console.read_text(errors="replace").splitlines()[-20:])
            raise Fail(f"Neo4j 启动失败（退出码 {proc.returncode}）。日志 {home.console}：\n{tail}")
        if bolt_handshake(port) and query_answers(port, password):
            log(f"ready (pid {proc.pid})")
            sys.stdout.write(export_lines(home))
            return 0
        time.sleep(0.5)
    stop(data, quiet=True)
    raise Fail(f"Neo4j 在 {START_TIMEOUT:.0f} 秒内没有应答，已停止。日志：{home.console}")


def stop(data: Path, quiet: bool = False) -> int:
    home = Home(data)
    pid = home.pid()
    if pid is None:
        if not quiet:
            log(f"not running ({home.root})")
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and home.pid() is not None:
        time.sleep(0.2)
    if home.pid() is not None:
        log("did not stop within 60 s: SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
    home.pidfile.unlink(missing_ok=True)
    if not quiet:
        log(f"stopped (pid {pid})")
    return 0


def status(data: Path) -> int:
    home = Home(data)
    pid = home.pid()
    if pid is None:
        print(f"Neo4j 未运行（数据目录 {home.root}）")
        return 3
    port = home.port()
    state = "应答" if port and bolt_handshake(port) else "未应答 Bolt"
    print(
        f"Neo4j {pinned_version()} 运行中：pid {pid}，bolt://127.0.0.1:{port}（{state}），数据目录 "
        f"{home.root}"
    )
    return 0


def env_lines(data: Path) -> int:
    home = Home(data)
    if home.pid() is None:
        raise Fail(f"{home.root} 的 Neo4j 未运行：先 ./dev neo4j start。")
    sys.stdout.write(export_lines(home))
    return 0


def admin(data: Path, args: list[str]) -> int:
    """neo4j-admin from the same Maven classpath, on this folder's server home (NEO4J_HOME, NEO4J_CONF)."""
    home = Home(data)
    home.make()
    java = find_java(java_needed(pinned_version()))
    if not (home.conf / "neo4j.conf").exists():
        home.write_conf(home.port() or DEFAULT_PORT, "512m", "1g")
    cp = classpath(home.root)
    cmd = [str(java), "-Xmx1g", *JVM_FLAGS, "-cp", cp, "org.neo4j.cli.AdminTool", *args]
    return subprocess.run(cmd, env=home.env(java)).returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="./dev neo4j", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("start", "stop", "status", "env", "admin"):
        sp = sub.add_parser(name)
        sp.add_argument(
            "--data", type=Path, default=Path(os.environ.get("ORGGRAPH_NEO4J_HOME", DEFAULT_DATA))
        )
        if name == "start":
            sp.add_argument(
                "--port", type=int, default=None, help="Bolt port (default 7687; 0 picks a free one)"
            )
            sp.add_argument("--heap", default=os.environ.get("ORGGRAPH_NEO4J_HEAP", "1g"))
            sp.add_argument("--pagecache", default=os.environ.get("ORGGRAPH_NEO4J_PAGECACHE", "512m"))
            sp.add_argument(
                "--tx-memory",
                default=os.environ.get("ORGGRAPH_NEO4J_TX_MEMORY", "1g"),
                help="db.memory.transaction.max: one transaction past it is stopped (default 1g)",
            )
        if name == "admin":
            sp.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    try:
        if a.cmd == "start":
            return start(a.data, a.port, a.heap, a.pagecache, a.tx_memory)
        if a.cmd == "stop":
            return stop(a.data)
        if a.cmd == "status":
            return status(a.data)
        if a.cmd == "env":
            return env_lines(a.data)
        args = a.args[1:] if a.args[:1] == ["--"] else a.args
        return admin(a.data, args)
    except Fail as e:
        print(f"[neo4j] {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
