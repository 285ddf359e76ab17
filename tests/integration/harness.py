"""Shared pieces of the integration tests: free ports, a config with short limits, the real daemon
started and stopped, a webhook receiver, a raw SIP client over UDP and TCP, and a small test runner that
ends with the line 'N passed, N failed'."""
import http.server, json, os, random, shutil, signal, socket, string, subprocess, sys, tempfile, threading, time
import traceback, urllib.error, urllib.parse, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("ASSIST_BUILD_DIR") or os.path.join(ROOT, "build", "bin")  # a private build's bin/
DAEMON = os.path.join(BIN, "assistlined")
CTL = os.path.join(BIN, "assistctl")
SIPP_DIR = os.path.join(ROOT, "scripts", "sipp")


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    while True:
        t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p)); return p
        except OSError:
            pass
        finally:
            t.close(); u.close()


def wait_until(pred, timeout, what, step=0.05):
    """Polls pred() until true, with a bound; fails naming what it waited for."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Hook:
    """A local webhook receiver: records every POST with its arrival time; answers 200 (or 503 while down)."""
    def __init__(self):
        self.port = free_port(); self.messages = []; self.down = False; self.delay = 0.0
        lock = self.lock = threading.Lock()
        hook = self
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if hook.down:
                    self.send_response(503); self.end_headers(); return
                if hook.delay:
                    time.sleep(hook.delay)  # keeps deliveries in flight for the crash test
                with lock:
                    hook.messages.append({"t": time.time(), "headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
            def log_message(self, *a): pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
    def bodies(self):
        with self.lock:
            return [m["body"] for m in self.messages]
    def close(self):
        self.server.shutdown()


def write_config(dirpath, hook_port, extra="", critical=("2s", "60s"), urgent=("3s", "60s"), warning_at=0.8,
                 steps=("2s", "2s", "30s"), office=False):
    """A short-limit config on free ports: (first_response, resolution) for critical and urgent calls, the
    ladder's township/county/league steps, and with `office` the township's social-assistance window as
    the office that tickets are dispatched to. Returns (path, sip port, http port)."""
    sip, httpp = free_port(), free_port()
    office_line = ('  - {region: "150102001", level: township, name: "海拉尔东路街道社会救助窗口", notify: webhook, '
                   'role: office}\n') if office else ""
    cfg = f"""
sip:
  listen: ["udp:127.0.0.1:{sip}", "tcp:127.0.0.1:{sip}"]
http:
  listen: "127.0.0.1:{httpp}"
storage:
  path: "{dirpath}/assistline.db"
log:
  file: "{dirpath}/assistlined.log"
sla:
  limits:
    - {{urgency: critical, first_response: {critical[0]}, resolution: {critical[1]}}}
    - {{urgency: urgent, first_response: {urgent[0]}, resolution: {urgent[1]}}}
    - {{request_type: consult, first_response: 1wd, resolution: 2wd}}
    - {{request_type: [complaint, report], first_response: 1wd, resolution: 15wd}}
    - {{first_response: 1wd, resolution: 10wd}}
escalation:
  warning_at: {warning_at}
  ladder:
    - {{level: township, step: {steps[0]}}}
    - {{level: county, step: {steps[1]}}}
    - {{level: league, step: {steps[2]}}}
directory:
{office_line}  - {{region: "150102001", level: township, name: "海拉尔东路街道协调员", notify: webhook}}
  - {{region: "150102", level: county, name: "新城区民政局协调员", notify: webhook}}
  - {{region: "1501", level: league, name: "呼和浩特市民政局协调员", notify: webhook}}
notify:
  webhook: {{url: "http://127.0.0.1:{hook_port}/hook"}}
  retry: {{initial: 1s, max: 2s}}
""" + extra
    path = os.path.join(dirpath, "config.yaml")
    open(path, "w").write(cfg)
    return path, sip, httpp


class Daemon:
    def __init__(self, config, http_port, sip_port):
        self.config, self.http, self.sip = config, http_port, sip_port
        self.proc = None
    def start(self):
        self.proc = subprocess.Popen([DAEMON, "--config", self.config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("assistlined exited at start: " + self.proc.stderr.read().decode()[-500:])
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{self.http}/readyz", timeout=1).status == 200
            except Exception:
                return False
        wait_until(ready, 10, "/readyz")
        return self
    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill(); raise AssertionError("assistlined did not stop within 10 s of SIGTERM")
        return self.proc.returncode if self.proc else None
    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except Exception:
                return e.code, raw.decode("utf-8", "replace")


# ---- a raw SIP client ----
def rand(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def asr(text):
    return urllib.parse.quote(text, safe="")


def invite(port, local, transport="UDP", caller="13800001234", text=None, region=None, digits=None,
           branch=None, call_id=None, method="INVITE", extra=()):
    branch = branch or "z9hG4bK" + rand()
    call_id = call_id or rand(16) + "@it"
    lines = [f"{method} sip:12345@127.0.0.1:{port} SIP/2.0",
             f"Via: SIP/2.0/{transport} {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70", f"From: <sip:{caller}@{local[0]}>;tag={rand(8)}", f"To: <sip:12345@127.0.0.1>",
             f"Call-ID: {call_id}", f"CSeq: 1 {method}", f"Contact: <sip:{caller}@{local[0]}:{local[1]}>"]
    if text is not None: lines.append("X-ASR-Text: " + asr(text))
    if region: lines.append("X-Region-Code: " + region)
    if digits: lines.append("X-IVR-Digits: " + digits)
    lines += list(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), call_id


def parse(data):
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    hdrs = {}
    for ln in head[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), []).append(v.strip())
    code = int(head[0].split()[1]) if head[0].startswith("SIP/2.0 ") else None
    return code, hdrs, text


def h1(h, name):
    return (h.get(name.lower()) or [""])[0]


def ack_for(raw, hdrs):
    lines = raw.decode().split("\r\n")
    get = lambda p: next(l for l in lines if l.lower().startswith(p))
    out = [f"ACK {lines[0].split()[1]} SIP/2.0", get("via:"), "Max-Forwards: 70", get("from:"),
           "To: " + h1(hdrs, "to"), get("call-id:"), "CSeq: 1 ACK", "Content-Length: 0"]
    return ("\r\n".join(out) + "\r\n\r\n").encode()


class Udp:
    def __init__(self, port):
        self.addr = ("127.0.0.1", port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); self.s.bind(("127.0.0.1", 0))
        self.local = self.s.getsockname()
    def send(self, raw):
        self.s.sendto(raw, self.addr)
    def recv(self, timeout=2.0):
        self.s.settimeout(timeout)
        try:
            return parse(self.s.recvfrom(65535)[0])
        except socket.timeout:
            return None, {}, ""
    def final(self, raw, call_id, timeout=3.0):
        """Sends once and returns the first final response for this Call-ID."""
        self.send(raw)
        end = time.time() + timeout
        while time.time() < end:
            code, h, t = self.recv(max(0.05, end - time.time()))
            if code and code >= 200 and h1(h, "call-id") == call_id:
                return code, h, t
        return None, {}, ""


class Tcp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=3); self.buf = b""
        self.local = self.s.getsockname()
    def send(self, raw):
        self.s.sendall(raw)
    def recv(self):
        while True:
            if b"\r\n\r\n" in self.buf:
                head, rest = self.buf.split(b"\r\n\r\n", 1)
                clen = 0
                for ln in head.split(b"\r\n"):
                    k, _, v = ln.partition(b":")
                    if k.strip().lower() in (b"content-length", b"l"): clen = int(v)
                if len(rest) >= clen:
                    self.buf = rest[clen:]
                    return parse(head + b"\r\n\r\n" + rest[:clen])
            chunk = self.s.recv(65535)
            if not chunk: return None, {}, ""
            self.buf += chunk


# ---- a daemon with its webhook receiver, for one test ----
class Env:
    """The real daemon on free ports with a webhook receiver, in a temporary folder. Subclasses may add
    files before the daemon starts (prepare() returns extra config) or write another config (writer)."""
    def __init__(self, extra="", prefix="assist-it-", writer=None):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.hook = Hook()
        self.config, self.sip, self.http = (writer or write_config)(self.dir, self.hook.port, extra + self.prepare())
        self.d = Daemon(self.config, self.http, self.sip).start()
    def prepare(self):
        return ""
    def log(self):
        return open(os.path.join(self.dir, "assistlined.log"), encoding="utf-8", errors="replace").read()
    def close(self):
        rc = self.d.stop()
        self.hook.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        assert rc == 0, f"assistlined exited {rc} on SIGTERM (want a clean 0)"
        return rc


def env_test(make=Env):
    """A decorator: the test gets a fresh environment (made by `make`), closed after it whatever happens."""
    def wrap(fn):
        def t():
            env = make()
            try:
                fn(env)
            finally:
                env.close()
        t.__name__ = fn.__name__
        return t
    return wrap


# ---- runner ----
class Skip(Exception):
    """A test that cannot run here (a port it must bind is taken): reported loudly, counted as skipped."""


def run(tests, always=()):
    """Runs the file's `tests`, only those named on the command line when some are (and the ones in
    `always`, set-up and tear-down); a name that is no test here is an error, not a run of nothing.
    Returns the exit status: 0 when none failed."""
    names = sys.argv[1:]
    unknown = [a for a in names if a not in {t.__name__ for t in tests}]
    if unknown:
        print(f"no test named {', '.join(unknown)} in {os.path.basename(sys.argv[0])}", file=sys.stderr, flush=True)
        return 2
    if names:
        tests = [t for t in tests if t.__name__ in names or t.__name__ in always]
    passed = failed = skipped = 0
    for t in tests:
        name = t.__name__
        start = time.time()
        try:
            t()
            passed += 1
            print(f"ok   {name} ({time.time() - start:.1f} s)", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc()
    print(f"integration: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed else 0
