#!/usr/bin/env python3
"""The demo's choreography (run by scripts/demo after setup and build): starts assistlined on its
built-in defaults plus ops/examples/demo.yaml, a local webhook receiver that checks signatures, places
five realistic calls with SIPp over UDP and TCP, confirms them as an agent would, and shows the 302s, the
tickets, the dispatches, and an urgent case nobody signs off climbing to its township and county
coordinators."""
import glob, hashlib, hmac, http.server, json, os, signal, socket, subprocess, sys, threading, time
import urllib.error, urllib.parse, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VAR = os.path.join(ROOT, "var", "demo")
CONFIG = os.path.join(ROOT, "ops", "examples", "demo.yaml")
SIP_PORT, HTTP_PORT, HOOK_PORT, SECRET = 5060, 8080, 9099, b"demo-secret"
API = f"http://127.0.0.1:{HTTP_PORT}/api/v1"
T0 = time.time()
ZH = {"temporary_assistance": "临时救助", "medical_assistance": "医疗救助", "minimum_living_allowance": "最低生活保障",
      "hardship_report": "困难群众主动发现", "not_social_assistance": "非社会救助", "critical": "特急", "urgent": "紧急",
      "normal": "一般", "help": "求助", "consult": "咨询", "complaint": "投诉", "report": "举报"}

CALLS = [  # (what, transport, caller, region, IVR digits, the caller's first words)
    ("a fire left a family without a home", "u1", "13800001234", "150102001001", "3*1",
     "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住，外面零下二十多度"),
    ("a sudden illness, the breadwinner in ICU", "t1", "13900005678", "150102002003", "3",
     "我爸突发脑出血住进ICU了，押金交不上，家里就靠他一个人挣钱，现在揭不开锅了"),
    ("a dibao question", "u1", "13600001111", "150102001002", "3", "想问一下低保申请需要准备什么材料"),
    ("a neighbour: an old man alone without heat", "t1", "15500002222", "150102001002", "3",
     "我邻居王大爷一个人住，这几天暖气停了，家里冷得很，好像也没吃的，你们能不能派人去看看"),
    ("a street-light complaint", "u1", "13700009999", "150102001001", "",
     "我要投诉，我们小区门口的路灯坏了好几天了，晚上太黑，一直没人修"),
]


def say(msg=""):
    print(f"[{time.time() - T0:5.1f}s] {msg}" if msg else "", flush=True)


def api(method, path, body=None):
    req = urllib.request.Request(API + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise SystemExit(f"demo: {method} {path} -> {e.code} {e.read().decode()}")


def port_free(port, kind):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the daemon binds: TIME_WAIT is no obstacle
    try:
        s.bind(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()


class Hook(http.server.BaseHTTPRequestHandler):
    seen = []
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ts, sig = self.headers.get("X-Assist-Timestamp", ""), self.headers.get("X-Assist-Signature", "")
        good = sig == "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        m = json.loads(body)
        Hook.seen.append(m)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
        tag = {"dispatch": "派单 dispatch", "warning": "预警 warning", "escalation": "督办 ESCALATION"}[m["kind"]]
        print(flush=True)
        say(f"webhook <- {tag} [{m['level']}] to {m['to']['name']} (signature {'ok' if good else 'BAD'}, id {m['id']})")
        print(f"          {m['text']}", flush=True)
    def log_message(self, *a):
        pass


def place_call(i, what, transport, caller, region, digits, text):
    work = os.path.join(VAR, f"call{i}")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "call.csv"), "w") as f:
        f.write("SEQUENTIAL\n")
        f.write(f"{caller};{urllib.parse.quote(text, safe='')};{region};{digits}\n")
    r = subprocess.run(["sipp", "-sf", os.path.join(ROOT, "scripts", "sipp", "uac-redirect.xml"), "-inf", "call.csv",
                        "-t", transport, "-i", "127.0.0.1", "-p", str(15060 + i), f"127.0.0.1:{SIP_PORT}", "-m", "1",
                        "-nostdin", "-trace_msg", "-timeout", "15s", "-timeout_error"],
                       cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    log = "".join(open(p, errors="replace").read() for p in glob.glob(os.path.join(work, "*_messages.log")))
    resp = next((blk for blk in log.split("\n\n") if "SIP/2.0 302" in blk), "")
    say(f"call {i + 1} over {'UDP' if transport == 'u1' else 'TCP'} by SIPp: {what} — “{text[:24]}…”")
    if r.returncode != 0 or not resp:
        raise SystemExit(f"demo: SIPp call failed (exit {r.returncode}); see {work}")
    keep = ("SIP/2.0", "Contact", "X-Assist", "Priority")
    for line in resp.splitlines():
        if line.startswith(keep):
            print("          " + line.strip(), flush=True)
    headers = dict(l.split(": ", 1) for l in resp.splitlines() if ": " in l)
    return headers.get("X-Assist-Ticket")


def main():
    os.makedirs(VAR, exist_ok=True)
    for f in glob.glob(os.path.join(VAR, "assistline.db*")) + glob.glob(os.path.join(VAR, "*.log")):
        os.remove(f)
    for port, kind, what in ((SIP_PORT, socket.SOCK_DGRAM, "SIP/UDP"), (SIP_PORT, socket.SOCK_STREAM, "SIP/TCP"),
                             (HTTP_PORT, socket.SOCK_STREAM, "HTTP"), (HOOK_PORT, socket.SOCK_STREAM, "webhook")):
        if not port_free(port, kind):
            raise SystemExit(f"demo: port {port} ({what}) is taken on 127.0.0.1; stop what uses it and run again")
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", HOOK_PORT), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    daemon = subprocess.Popen([os.path.join(ROOT, "build", "bin", "assistlined"), "--config", CONFIG], cwd=ROOT)
    try:
        for _ in range(100):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/readyz", timeout=1).status == 200: break
            except Exception:
                if daemon.poll() is not None: raise SystemExit("demo: assistlined exited at start; see var/demo/assistlined.log")
                time.sleep(0.1)
        say(f"assistlined ready: SIP udp+tcp 127.0.0.1:{SIP_PORT}, API http://127.0.0.1:{HTTP_PORT}, webhook receiver :{HOOK_PORT}")
        say()
        tickets = [place_call(i, *c) for i, c in enumerate(CALLS)]
        say()
        say("open tickets (GET /api/v1/tickets):")
        for t in api("GET", "/tickets")["tickets"]:
            print(f"          {t['id']}  {ZH.get(t['category'], t['category'])}/{ZH.get(t['request_type'], t['request_type'])}/"
                  f"{ZH.get(t['urgency'], t['urgency'])}  caller {t['caller']}  first response by {t['first_response_due'].replace('T', ' ')[5:19]}"
                  f"  resolution by {t['resolution_due'].replace('T', ' ')[5:19]}  ({t['sla_rule']})", flush=True)
        fire, ill, dibao, neighbour, light = tickets
        assert light is None, "the street-light call must not open a ticket"
        say()
        say(f"agent confirms {fire} (fire) while the caller is on the line: the place is the region hint")
        api("POST", f"/tickets/{fire}/events", {"type": "confirm", "by": "坐席 0107"})
        say(f"agent confirms {ill} (illness) as urgent medical assistance")
        api("POST", f"/tickets/{ill}/events", {"type": "confirm", "by": "坐席 0107", "category": "medical_assistance", "urgency": "urgent"})
        say(f"agent confirms {dibao} (dibao question) and {neighbour} (neighbour's report)")
        api("POST", f"/tickets/{dibao}/events", {"type": "confirm", "by": "坐席 0112"})
        api("POST", f"/tickets/{neighbour}/events", {"type": "confirm", "by": "坐席 0112"})
        time.sleep(1.0)
        say()
        say(f"the county medical-insurance office signs {ill} off (签收) after phoning the caller: its clock stops")
        api("POST", f"/tickets/{ill}/events", {"type": "acknowledge", "by": "新城区医保局 张", "note": "已电话联系来电人"})
        say(f"nobody signs {fire} or {neighbour} off; watching their ladders (critical: 12 s, then 8 s a level)")
        acked = False
        end = time.time() + 60
        while time.time() < end:
            esc = [m for m in Hook.seen if m["kind"] == "escalation"]
            if not acked and any(m["ticket_id"] == neighbour and m["level"] == "township" for m in esc):
                m = next(m for m in esc if m["ticket_id"] == neighbour and m["level"] == "township")
                say(f"the township coordinator opens the signed link from the SMS on a phone and acknowledges {neighbour}:")
                print(f"          {m['ack_url']}", flush=True)
                form = urllib.parse.urlencode({"by": "海拉尔东路街道 协调员", "responder": "社区网格员 李",
                                               "eta": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600 + 1800))})
                with urllib.request.urlopen(urllib.request.Request(m["ack_url"], data=form.encode(), method="POST"), timeout=5) as r:
                    assert r.status == 200
                acked = True
            if any(m["ticket_id"] == fire and m["level"] == "county" for m in esc) and acked:
                break
            time.sleep(0.2)
        time.sleep(1.0)
        say()
        say("where things stand:")
        for tid in (fire, ill, dibao, neighbour):
            t = api("GET", f"/tickets/{tid}")
            print(f"          {tid}  {t['status']:<12} confirmed={t['confirmed']}  escalation={t['escalation_level'] or '-'}"
                  f"  office={t['assignee']['name'] if t['assignee'] else '-'}", flush=True)
        ok = any(m["ticket_id"] == fire and m["level"] == "county" for m in Hook.seen)
        say(f"{len(Hook.seen)} messages delivered; {'the fire case climbed township -> county' if ok else 'NO county escalation seen'}; "
            f"{ill} (signed off) and {neighbour} (acknowledged at township) stopped climbing")
    finally:
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(15)
        hook.shutdown()
    say(f"assistlined stopped (exit {rc}).")
    print(f"\n  database: {os.path.relpath(os.path.join(VAR, 'assistline.db'), ROOT)}   (sqlite3 var/demo/assistline.db 'select id, status from tickets')")
    print(f"  daemon log: var/demo/assistlined.log    SIPp traces: var/demo/call*/")
    return 0 if ok and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
