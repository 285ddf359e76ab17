#!/usr/bin/env python3
"""RFC 4475 (SIP torture test messages) over real UDP against the running daemon: one case per file of
../shared/data/sip-rfc4475/, each checked against expected.csv's rule; afterwards no invalid request has
been redirected or opened a ticket (the API's ticket list and /api/v1/calls/{call-id}).

Responses go to the source address at the top Via's sent-by port (5060, 5061 for TLS), so this test binds
the loopback ports the Vias name: 127.0.0.1:5060, 5061, 5050 and 5070. When one is taken (a kamailio or
another SIP server on this machine) the whole file is SKIPPED, loudly. The daemon itself runs on a free port.
"""
import csv, glob, os, re, socket, sys, tempfile, threading, time, shutil, urllib.parse
sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import *

harness.DAEMON = os.environ.get("ASSISTLINED", harness.DAEMON)
DATA = os.environ.get("ASSIST_RFC4475_DIR") or os.path.abspath(
    os.path.join(os.environ.get("ASSIST_SHARED_DIR") or os.path.join(ROOT, "..", "shared"), "data", "sip-rfc4475"))
VIA_PORTS = (5060, 5061, 5050, 5070)


def load_rules():
    with open(os.path.join(DATA, "expected.csv"), newline="") as f:
        return {r["name"]: (r["kind"], r["a redirect server answers"]) for r in csv.DictReader(f)}


def call_id_of(raw):
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin1")
    head = re.sub(r"\r\n[ \t]+", " ", head)
    for ln in head.split("\r\n")[1:]:
        m = re.match(r"(?i)^(call-id|i)\s*:\s*(.*?)\s*$", ln)
        if m:
            return m.group(2)
    return None


class Collector:
    """Listens on the Via ports and on the sending socket; records (time, port, bytes)."""
    def __init__(self):
        self.socks = []
        taken = []
        for p in VIA_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", p))
            except OSError as e:
                taken.append(f"{p} ({e.strerror})")
                s.close()
                continue
            self.socks.append(s)
        if taken:
            for s in self.socks: s.close()
            raise Skip("RFC 4475 over UDP needs loopback ports the torture Vias name; taken: " + ", ".join(taken) +
                       " -- stop the SIP server holding them (Debian's kamailio service?) to run this suite")
        self.sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); self.sender.bind(("127.0.0.1", 0))
        self.socks.append(self.sender)
        self.got = []; self.lock = threading.Lock(); self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True); self.t.start()
    def loop(self):
        import select
        while not self.stop:
            r, _, _ = select.select(self.socks, [], [], 0.1)
            for s in r:
                try:
                    data = s.recvfrom(65535)[0]
                except OSError:
                    continue
                with self.lock:
                    self.got.append((time.time(), s.getsockname()[1], data))
    def since(self, t0):
        with self.lock:
            return [g for g in self.got if g[0] >= t0]
    def close(self):
        self.stop = True; self.t.join(1)
        for s in self.socks: s.close()


class Suite:
    env = None


def setup():
    col = Collector()  # may Skip
    d = tempfile.mkdtemp(prefix="assist-4475-")
    config, sip, httpp = write_config(d, free_port())
    try:
        daemon = Daemon(config, httpp, sip).start()
    except Exception:
        col.close(); raise
    Suite.env = {"dir": d, "daemon": daemon, "col": col, "sip": sip, "seen": set(), "results": {}}


def expect_ok(rule, statuses):
    """expected.csv's rule (the same reading as the unit test) -> None or the reason it fails."""
    if rule.startswith("no reply"):
        return None if not statuses else f"expected no reply, got {statuses}"
    if len(statuses) != 1:
        return f"expected exactly one response, got {statuses}"
    got = statuses[0]
    if got < 200:
        return f"got provisional {got}"
    if "any final response" in rule:
        return f"got 400 (rule: {rule})" if "but 400" in rule and got == 400 else None
    allowed = [int(x) for x in re.findall(r"\b([1-6][0-9][0-9])\b", rule)]
    if "not 400" in rule: allowed = [a for a in allowed if a != 400]
    if "REGISTER only" in rule: allowed = [405, 501]
    return None if got in allowed else f"got {got}, rule: {rule}"


def make_case(name, kind, rule):
    def case():
        e = Suite.env
        if e is None:
            raise Skip("suite not set up")
        raw = open(os.path.join(DATA, name + ".dat"), "rb").read()
        cid = call_id_of(raw)
        col = e["col"]
        t0 = time.time()
        col.sender.sendto(raw, ("127.0.0.1", e["sip"]))
        # Wait for a final response (then a moment for anything extra), or 0.6 s when none is expected.
        end = t0 + (0.6 if rule.startswith("no reply") else 2.0)
        mine = []
        while time.time() < end:
            time.sleep(0.02)
            mine = []
            for (_, port, data) in col.since(t0):
                code, h, _ = parse(data)
                rcid = h1(h, "call-id")
                if rcid in e["seen"] and rcid != cid:
                    continue  # a retransmitted 302 of an earlier case
                mine.append((code, port, rcid))
            if any(c and c >= 200 for c, _, _ in mine) and time.time() > t0 + 0.25:
                break
        e["seen"].add(cid)
        statuses = [c for c, _, _ in mine]
        e["results"][name] = (kind, cid, statuses)
        why = expect_ok(rule, statuses)
        assert why is None, f"{name} ({kind}): {why}; responses (status, to port, call-id): {mine}"
        # a response that carries a Via goes to the port that Via names (never to the wrong place)
        for code, port, rcid in mine:
            assert port in VIA_PORTS or port == col.sender.getsockname()[1], f"response to unexpected port {port}"
    case.__name__ = "test_rfc4475_" + name
    return case


def test_no_invalid_request_redirected_or_ticketed():
    e = Suite.env
    if e is None:
        raise Skip("suite not set up")
    time.sleep(0.3)
    st, body = e["daemon"].api("GET", "/api/v1/tickets?limit=1000")
    assert st == 200, (st, body)
    ticketed = {t["call_id"] for t in body["tickets"]}
    invalid = {n: r for n, r in e["results"].items() if not r[0].startswith("valid") or "missing required" in r[0]
               or "several" in r[0]}
    for name, (kind, cid, statuses) in invalid.items():
        assert 302 not in statuses, f"{name} ({kind}) was redirected"
        assert cid not in ticketed, f"{name} ({kind}) opened a ticket"
        if cid:
            st, _ = e["daemon"].api("GET", "/api/v1/calls/" + urllib.parse.quote(cid, safe=""))
            assert st == 404, f"{name}: /api/v1/calls answered {st}"
    # every ticket belongs to a valid INVITE of the set
    valid_invites = {r[1] for n, r in e["results"].items() if 302 in r[2]}
    assert ticketed <= valid_invites, f"tickets for unexpected calls: {ticketed - valid_invites}"


def teardown():
    e = Suite.env
    if not e:
        return
    e["col"].close()
    rc = e["daemon"].stop()
    shutil.rmtree(e["dir"], ignore_errors=True)
    assert rc == 0, f"assistlined exited {rc}"


if __name__ == "__main__":
    if not os.path.exists(os.path.join(DATA, "expected.csv")):
        # the torture messages are reference data beside the checkout (../shared), not part of it
        def test_rfc4475_torture_messages():
            raise Skip(f"the RFC 4475 messages are not at {DATA} (the shared reference data beside the checkout; "
                       "or set ASSIST_SHARED_DIR, or ASSIST_RFC4475_DIR)")
        sys.exit(run([test_rfc4475_torture_messages]))
    rules = load_rules()
    names = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(DATA, "*.dat")))
    assert len(names) == 49, f"expected 49 torture messages, found {len(names)} in {DATA}"
    tests = []
    def test_setup():
        setup()
    tests.append(test_setup)
    tests += [make_case(n, *rules[n]) for n in names]
    tests.append(test_no_invalid_request_redirected_or_ticketed)
    def test_daemon_stops_cleanly():
        teardown()
    tests.append(test_daemon_stops_cleanly)
    sys.exit(run(tests, always=("test_setup", "test_daemon_stops_cleanly")))
