#!/usr/bin/env python3
"""Delivery that reaches a person (issue 6) against the real daemon: the webhook, an SMTP relay (Debian's
aiosmtpd as the sink), a fake SMS platform; duty rotas and the level's fallback; signed links that work
without logging in; retries while a receiver is down; a dead letter and its manual retry."""
import base64, email, email.header, glob, http.server, json, os, shutil, signal, subprocess, sys, tempfile
import threading, time, urllib.parse, urllib.request
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

FIRE = "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住，外面零下二十多度"
SYS_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class Sms:
    """A fake SMS platform: records JSON requests; answers `status` (200 by default)."""
    def __init__(self):
        self.port = free_port(); self.got = []; self.status = 200
        sms = self
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(sms.status); self.send_header("Content-Length", "0"); self.end_headers()
                if sms.status == 200: sms.got.append(body)
            def log_message(self, *a): pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Smtp:
    """Debian's aiosmtpd writing each mail into a maildir."""
    def __init__(self, d):
        self.port = free_port(); self.dir = os.path.join(d, "maildir")
        self.proc = subprocess.Popen([SYS_PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", "-c",
                                      "aiosmtpd.handlers.Mailbox", self.dir], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_until(lambda: self._up(), 10, "the SMTP sink")
    def _up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close(); return True
        except OSError:
            return False
    def mails(self):
        out = []
        for f in glob.glob(os.path.join(self.dir, "new", "*")):
            out.append(email.message_from_bytes(open(f, "rb").read()))
        return out
    def close(self):
        self.proc.terminate(); self.proc.wait(5)


def env_for(extra_dir, duty_township):
    d = tempfile.mkdtemp(prefix="assist-deliv-")
    hook, sms, smtp = Hook(), Sms(), Smtp(d)
    directory = f"""
directory:
  - {{region: "150102001", level: township, name: "海拉尔东路街道社会救助窗口", notify: webhook, role: office}}
  - {{region: "150102001", level: township, name: "街道协调员 白班", notify: sms_http, address: "13900000001",
     duty: [{duty_township}]}}
  - {{region: "150102001", level: township, name: "街道值班电话", notify: sms_http, address: "13900000002", fallback: true,
     duty: [{duty_township}]}}
  - {{region: "150102", level: county, name: "新城区民政局 协调员", notify: smtp, address: "mzj@xincheng.example"}}
  - {{region: "1501", level: league, name: "呼和浩特市民政局", notify: webhook}}
"""
    path, sip, httpp = write_config(d, hook.port)
    cfg = open(path).read()
    cfg = cfg[:cfg.index("\ndirectory:") + 1] + directory.lstrip("\n") + cfg[cfg.index("\nnotify:") + 1:]
    cfg += f"""  smtp: {{url: "smtp://127.0.0.1:{smtp.port}", from: "assistline@12345.example"}}
  sms_http: {{url: "http://127.0.0.1:{sms.port}/send", max_chars: 140}}
"""
    open(path, "w").write(cfg)
    daemon = Daemon(path, httpp, sip).start()
    return d, hook, sms, smtp, daemon


def call_and_confirm(daemon):
    u = Udp(daemon.sip)
    raw, cid = invite(daemon.sip, u.local, text=FIRE, region="150102001001")
    code, h, _ = u.final(raw, cid)
    tid = h1(h, "X-Assist-Ticket")
    assert code == 302 and tid
    st, t = daemon.api("POST", f"/api/v1/tickets/{tid}/events", {"type": "confirm"})
    assert st == 200, t
    return tid


def test_sms_smtp_webhook_and_fallback_off_duty():
    # the township's two entries are on duty three hours from now only: nobody on duty -> the fallback
    later = time.gmtime(time.time() + 8 * 3600 + 3 * 3600)  # duty times are Shanghai time
    window = f'{{days: every, from: "{later.tm_hour:02d}:00", to: "{later.tm_hour:02d}:59"}}'
    d, hook, sms, smtp, daemon = env_for(None, window)
    try:
        tid = call_and_confirm(daemon)
        wait_until(lambda: smtp.mails(), 15, "the county e-mail")
        wait_until(lambda: sms.got, 5, "the township SMS")
        dispatch = [b for b in hook.bodies() if b["kind"] == "dispatch"]
        assert dispatch and dispatch[0]["to"]["name"] == "海拉尔东路街道社会救助窗口"
        assert "/links/signoff/" + tid in dispatch[0]["signoff_url"]
        s = sms.got[0]
        assert s["phone"] == "13900000002", f"the fallback should get it, not {s['phone']}"
        assert len(s["text"]) <= 140 and tid in s["text"], s["text"]
        short = s["text"].split()[-1]
        assert "/l/" in short, s["text"]
        page = urllib.request.urlopen(short, timeout=5)  # follows the redirect to the signed form
        assert page.status == 200 and "/links/ack/" in page.url and "<form" in page.read().decode()
        m = smtp.mails()[0]
        subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
        assert tid in subject and "督办" in subject, subject
        assert m["To"] == "<mzj@xincheng.example>"
        text = m.get_payload(decode=True).decode()
        assert "呼和浩特市 新城区 海拉尔东路街道" in text and "/links/ack/" in text
        assert "13800001234" not in text + json.dumps(sms.got, ensure_ascii=False)
    finally:
        daemon.stop(); hook.close(); smtp.close(); shutil.rmtree(d, ignore_errors=True)


def test_on_duty_entry_gets_it_and_signed_link_acknowledges():
    d, hook, sms, smtp, daemon = env_for(None, '{days: every, from: "00:00", to: "24:00"}')
    try:
        tid = call_and_confirm(daemon)
        wait_until(lambda: sms.got, 10, "the township SMS")
        assert sms.got[0]["phone"] == "13900000001"
        st, box = daemon.api("GET", "/api/v1/outbox")
        esc = next(m for m in box["messages"] if m["kind"] == "escalation" and m["level"] == "township")
        url = esc["body"]["ack_url"]
        assert url.startswith(f"http://127.0.0.1:{daemon.http}/links/ack/") and "sig=" in url
        page = urllib.request.urlopen(url, timeout=5)
        assert page.status == 200 and "charset=utf-8" in page.headers["Content-Type"]
        assert "<form" in page.read().decode()
        bad = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        try:
            urllib.request.urlopen(bad, timeout=5); assert False, "a tampered link worked"
        except urllib.error.HTTPError as e:
            assert e.code == 403
        form = urllib.parse.urlencode({"by": "街道 李主任", "responder": "网格员 张", "eta": ""}).encode()
        r = urllib.request.urlopen(urllib.request.Request(url, data=form, method="POST"), timeout=5)
        assert r.status == 200 and "已确认" in r.read().decode()
        st, t = daemon.api("GET", f"/api/v1/tickets/{tid}")
        assert t["escalation"]["first_response"]["acknowledged"] is True
        # the climb stopped: no county mail a step later
        time.sleep(3.0)
        assert not smtp.mails(), "the county was told after the township acknowledged"
    finally:
        daemon.stop(); hook.close(); smtp.close(); shutil.rmtree(d, ignore_errors=True)


def test_dead_letter_and_manual_retry_and_retry_while_down():
    d, hook, sms, smtp, daemon = env_for(None, '{days: every, from: "00:00", to: "24:00"}')
    try:
        sms.status = 400   # the platform refuses: permanent, dead-lettered at once
        hook.down = True   # the webhook receiver is down: retried with backoff
        tid = call_and_confirm(daemon)
        def dead():
            return daemon.api("GET", "/api/v1/outbox?state=dead")[1]["messages"]
        wait_until(dead, 10, "a dead letter")
        m = dead()[0]
        assert "HTTP 400" in m["last_error"], m
        time.sleep(1.5)
        assert not hook.bodies()
        hook.down = False
        wait_until(lambda: any(b["kind"] == "dispatch" for b in hook.bodies()), 10, "the dispatch after the receiver came back")
        sms.status = 200
        st, r = daemon.api("POST", f"/api/v1/outbox/{m['id']}/retry")
        assert st == 200 and r["state"] in ("pending", "delivered"), r  # the worker may be quicker than this answer
        wait_until(lambda: sms.got, 10, "the retried SMS")
        st, r = daemon.api("POST", "/api/v1/outbox/no-such-message/retry")
        assert st == 404
    finally:
        daemon.stop(); hook.close(); smtp.close(); shutil.rmtree(d, ignore_errors=True)


def test_directory_file_reload_on_sighup():
    d = tempfile.mkdtemp(prefix="assist-dir-")
    hook = Hook()
    try:
        path, sip, httpp = write_config(d, hook.port)
        dfile = os.path.join(d, "directory.csv")
        open(dfile, "w").write("region,level,name,notify,role\n150102001,township,旧窗口,webhook,office\n")
        cfg = open(path).read()
        cfg = cfg[:cfg.index("\ndirectory:") + 1] + f'directory_file: "{dfile}"\n' + cfg[cfg.index("\nnotify:") + 1:]
        open(path, "w").write(cfg)
        daemon = Daemon(path, httpp, sip).start()
        try:
            open(dfile, "w").write("region,level,name,notify,role\n150102001,township,新窗口,webhook,office\n")
            daemon.proc.send_signal(signal.SIGHUP)
            log = os.path.join(d, "assistlined.log")
            wait_until(lambda: "directory reloaded" in open(log).read(), 5, "the directory reload")
            tid = call_and_confirm(daemon)
            wait_until(lambda: any(b["kind"] == "dispatch" for b in hook.bodies()), 5, "the dispatch")
            assert next(b for b in hook.bodies() if b["kind"] == "dispatch")["to"]["name"] == "新窗口"
            open(dfile, "w").write("region,level,name,notify,role\n1501020,township,坏的,webhook,office\n")
            daemon.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "directory reload refused" in open(log).read(), 5, "the refused reload")
            assert f"{dfile}:2:" in open(log).read()
        finally:
            daemon.stop()
    finally:
        hook.close(); shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    tests = [test_sms_smtp_webhook_and_fallback_off_duty, test_on_duty_entry_gets_it_and_signed_link_acknowledges,
             test_dead_letter_and_manual_retry_and_retry_while_down, test_directory_file_reload_on_sighup]
    only = sys.argv[1:]
    sys.exit(run([t for t in tests if not only or t.__name__ in only]))
