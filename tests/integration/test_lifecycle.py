#!/usr/bin/env python3
"""Issue 5 against the real daemon: the per-clock fields in the API, waiting on the caller (pause and
resume move the resolution deadline by the paused time), extensions and their limit, return and
reassignment (the office's clock restarts, the ticket's does not; the new office's first-response
breach escalates), merge, the resolution standard and the revisit, recompute through the API, the
calendar warning (log once, metric, API), and `assistctl deadline`/`recompute` with a calendar folder."""
import json, os, re, shutil, subprocess, sys, tempfile, time, urllib.parse
sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import *

CTL = harness.CTL

FIRE = "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住，外面零下二十多度"
PLACE = "150102001001"


class Env(harness.Env):
    def __init__(self, extra=""):
        super().__init__(extra, prefix="assist-life-")
        self.u = Udp(self.sip)
        self.n = 0
    def call(self, text=FIRE, caller=None):
        self.n += 1
        raw, cid = invite(self.sip, self.u.local, text=text, region=PLACE, caller=caller or f"1380000{self.n:04d}")
        code, h, _ = self.u.final(raw, cid)
        assert code == 302 and h1(h, "X-Assist-Ticket"), f"no ticket for the call: {code}"
        self.u.send(ack_for(raw, h))
        return h1(h, "X-Assist-Ticket")
    def ev(self, tid, body, want=200):
        st, t = self.d.api("POST", f"/api/v1/tickets/{tid}/events", body)
        assert st == want, f"{body.get('type')}: expected {want}, got {st}: {t}"
        return t


with_env = env_test(Env)


def ts(s):
    """RFC 3339 with +08:00 (optionally .mmm) -> epoch seconds."""
    from datetime import datetime
    return datetime.fromisoformat(s).timestamp()


def normal(env, tid):
    """Confirm as a normal dibao application (1wd / 10wd), signed off and in progress."""
    env.ev(tid, {"type": "confirm", "by": "agent-7", "category": "minimum_living_allowance", "request_type": "help",
                 "urgency": "normal", "region_code": PLACE})
    env.ev(tid, {"type": "acknowledge", "by": "office"})
    return env.ev(tid, {"type": "start", "by": "office"})


@with_env
def test_clocks_pause_resume_and_extend(env):
    tid = env.call()
    t = normal(env, tid)
    for clock in ("first_response", "resolution"):
        c = t["clocks"][clock]
        for k in ("due", "remaining_seconds", "elapsed_ratio", "paused", "breached"):
            assert k in c, f"clocks.{clock} lacks {k}: {c}"
    assert t["first_response_due"] and t["resolution_due"] and t["policy_version"].startswith("p-")
    assert t["clocks"]["first_response"]["stopped_at"], "the sign-off stops the first-response clock"
    e = env.ev(tid, {"type": "wait_on_caller", "by": "office"}, want=409)
    assert e["error"]["code"] == "no_failed_contact" and "contact_attempt" in e["error"]["allowed"], e
    env.ev(tid, {"type": "contact_attempt", "by": "office", "reached": False})
    p = env.ev(tid, {"type": "wait_on_caller", "by": "office", "note": "电话无人接听"})
    assert p["status"] == "waiting_on_caller" and p["paused"] is True and p["clocks"]["resolution"]["paused"] is True
    assert p["clocks"]["first_response"]["paused"] is False
    left = p["clocks"]["resolution"]["remaining_seconds"]
    time.sleep(2.2)
    st, q = env.d.api("GET", f"/api/v1/tickets/{tid}")
    assert q["clocks"]["resolution"]["remaining_seconds"] == left, "the paused clock's remaining time moved"
    r = env.ev(tid, {"type": "resume", "by": "office"})
    moved = ts(r["resolution_due"]) - ts(t["resolution_due"])
    st, evs = env.d.api("GET", f"/api/v1/tickets/{tid}/events")
    paused_s = evs["events"][-1]["body"]["paused_seconds"]
    assert 2 <= paused_s <= 4 and abs(moved - paused_s) < 1.0, (moved, paused_s)
    assert r["clocks"]["resolution"]["paused"] is False and r["status"] == "in_progress"
    # extend: reason and approval required; the default policy allows two
    e = env.ev(tid, {"type": "extend", "by": "office", "duration": "2wd", "reason": "需入户核查"}, want=400)
    assert e["error"]["field"] == "approved_by", e
    x1 = env.ev(tid, {"type": "extend", "by": "office", "duration": "2wd", "reason": "需入户核查", "approved_by": "值班长王"})
    assert ts(x1["resolution_due"]) > ts(r["resolution_due"]) and len(x1["extensions"]) == 1
    env.ev(tid, {"type": "extend", "by": "office", "duration": "1d", "reason": "等证明", "approved_by": "值班长王"})
    e = env.ev(tid, {"type": "extend", "by": "office", "duration": "1d", "reason": "再延", "approved_by": "值班长王"}, want=409)
    assert e["error"]["code"] == "extension_limit", e
    # resolve asks for the application standard's result; close asks for the revisit
    e = env.ev(tid, {"type": "resolve", "by": "office", "result": "已受理"}, want=400)
    assert e["error"]["field"] == "resolution.accepted", e
    env.ev(tid, {"type": "resolve", "by": "office",
                 "resolution": {"accepted": True, "visit_booked": "周三上午", "time_limit_told": True}})
    o = env.ev(tid, {"type": "close", "by": "agent", "revisit": {"reached": True, "satisfied": False}})
    assert o["status"] == "in_progress" and o["review"] is True and "revisit_unsatisfied" in o["flags"], o


@with_env
def test_return_reassign_restarts_the_office_clock(env):
    tid = env.call()
    c = env.ev(tid, {"type": "confirm", "by": "agent-7", "region_code": PLACE})
    assert c["urgency"] == "critical" and c["assignee"]["name"] == "海拉尔东路街道协调员", c
    e = env.ev(tid, {"type": "return", "by": "office"}, want=400)
    assert e["error"]["field"] == "reason"
    r = env.ev(tid, {"type": "return", "by": "office", "reason": "不属本单位"})
    assert r["returned"] is True and r["assignee"] is None and r["offices"][0]["ended"] == "returned"
    time.sleep(2.5)  # past the ticket's 2 s first response: nobody holds it, nothing escalates
    assert not [b for b in env.hook.bodies() if b["kind"] == "escalation"], env.hook.bodies()
    t_reassign = time.time()
    g = env.ev(tid, {"type": "reassign", "by": "值班长", "office": "新城区民政局协调员", "reason": "改派区民政局"})
    assert g["office_round"] == 2 and g["assignee"]["name"] == "新城区民政局协调员"
    assert g["resolution_due"] == c["resolution_due"], "the ticket's resolution clock restarted"
    assert g["first_response_due"] == c["first_response_due"], "the ticket's own first-response due changed"
    assert abs(ts(g["clocks"]["first_response"]["due"]) - (t_reassign + 2)) < 1.0, g["clocks"]
    assert g["clocks"]["office_resolution"] is not None
    # the new office does not sign off: its first-response breach escalates, counted from the reassignment
    esc = wait_until(lambda: [m for m in env.hook.messages if m["body"]["kind"] == "escalation"
                              and m["body"]["ticket_id"] == tid], 10, "an escalation after the reassignment")
    assert esc[0]["t"] >= t_reassign + 1.9, f"escalated {esc[0]['t'] - t_reassign:.2f} s after the reassignment"
    st, evs = env.d.api("GET", f"/api/v1/tickets/{tid}/events")
    types = [e["type"] for e in evs["events"]]
    assert types[:6] == ["opened", "confirm", "dispatch", "return", "reassign", "dispatch"], types


@with_env
def test_merge_recompute_and_the_calendar_warning(env):
    a, b = env.call(caller="13911110001"), env.call(caller="13911110002")
    m = env.ev(a, {"type": "merge", "by": "agent-7", "into": b})
    assert m["status"] == "merged" and m["merged_into"] == b
    st, tb = env.d.api("GET", f"/api/v1/tickets/{b}")
    assert tb["call_count"] == 2 and tb["merged_from"] == [a]
    e = env.ev(b, {"type": "merge", "by": "agent-7", "into": a}, want=409)
    assert e["error"]["code"] == "target_closed"
    st, rep = env.d.api("POST", "/api/v1/recompute", {"dry_run": True})
    assert st == 200 and rep["checked"] >= 1 and rep["moved"] == 0 and rep["policy_version"] == tb["policy_version"], rep
    st, cal = env.d.api("GET", "/api/v1/calendar")
    assert st == 200 and cal["last_year"] >= 2026 and "provisional_tickets" in cal, cal
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    if cal["last_year"] == 2026 and today >= "2026-11-01":
        assert cal["warning"] is True and "cn-2027.yaml" in cal["message"], cal
        body = urllib.request.urlopen(f"http://127.0.0.1:{env.http}/metrics", timeout=5).read().decode()
        assert "assist_calendar_warning 1" in body and "assist_provisional_tickets" in body, body[-600:]
        assert env.log().count("ALERT calendar") == 1, "the calendar warning should be said once at start"


def test_assistctl_deadline_and_recompute_with_a_calendar_folder():
    d = tempfile.mkdtemp(prefix="assist-cal-")
    try:
        args = [CTL, "deadline", "--opened", "2026-12-24T10:00:00+08:00", "--urgency", "normal", "--request-type", "help"]
        out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
        assert out["provisional"] is True and out["resolution_due"] == "2027-01-08T00:00:00+08:00", out
        open(os.path.join(d, "cn-2027.yaml"), "w").write("year: 2027\ndays:\n  - {date: 2027-01-01, off: true, name: 元旦}\n")
        out = json.loads(subprocess.run(args + ["--calendar-dir", d], capture_output=True, text=True, check=True).stdout)
        assert out["provisional"] is False and out["resolution_due"] == "2027-01-09T00:00:00+08:00", out
        store = os.path.join(d, "empty.db")
        # a mistyped --store is refused, not made into a new empty store
        p = subprocess.run([CTL, "recompute", "--dry-run", "--store", store], capture_output=True, text=True)
        assert p.returncode == 2 and "no store at" in p.stderr and not os.path.exists(store), p.stdout + p.stderr
        import sqlite3
        sqlite3.connect(store).close()  # an empty file (a touch, a truncated copy) is not a store either
        for extra in (["--dry-run"], []):
            p = subprocess.run([CTL, "recompute", *extra, "--store", store], capture_output=True, text=True)
            assert p.returncode == 2 and "is an empty file, not a store" in p.stderr, p.stderr
            assert os.path.getsize(store) == 0
        for junk in (b"\n", b"\0", b"not a database at all\n"):  # nor is any other file
            open(store, "wb").write(junk)
            p = subprocess.run([CTL, "recompute", "--store", store], capture_output=True, text=True)
            assert p.returncode == 2 and "is not an SQLite database, not a store" in p.stderr, p.stderr
            assert open(store, "rb").read() == junk
        # another program's, and one with a tickets table of its own shape (no schema version: not ours)
        for sql in ("CREATE TABLE kept (a)", "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT)"):
            os.unlink(store)
            c = sqlite3.connect(store); c.execute(sql); c.commit(); c.close()
            size = os.path.getsize(store)
            for extra in (["--dry-run"], []):
                p = subprocess.run([CTL, "recompute", *extra, "--store", store], capture_output=True, text=True)
                assert p.returncode == 2 and "an SQLite database of something else" in p.stderr, (sql, p.stderr)
                assert os.path.getsize(store) == size and not os.path.exists(store + "-wal"), sql
        os.unlink(store)
        c = sqlite3.connect(store)  # a store at schema version 1, as the first release left it
        c.executescript(open(os.path.join(harness.ROOT, "schemas", "sql", "001_init.sql")).read())
        c.execute("PRAGMA user_version = 1"); c.commit(); c.close()
        size = os.path.getsize(store)
        # a dry run writes nothing, so it does not upgrade a store's schema either
        p = subprocess.run([CTL, "recompute", "--dry-run", "--store", store], capture_output=True, text=True)
        assert p.returncode == 2 and "does not upgrade it" in p.stderr and os.path.getsize(store) == size, p.stderr
        p = subprocess.run([CTL, "recompute", "--store", store], capture_output=True, text=True)  # no daemon: it may
        assert p.returncode == 0, p.stderr
        p = subprocess.run([CTL, "recompute", "--dry-run", "--store", store], capture_output=True, text=True)
        assert p.returncode == 0 and json.loads(p.stdout)["checked"] == 0, p.stdout + p.stderr
        # --region must name a known division
        p = subprocess.run(args + ["--region", "99999"], capture_output=True, text=True)
        assert p.returncode == 2 and "not an Inner Mongolia division code" in p.stderr, p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_one_daemon_per_store_and_no_recompute_under_it():
    d = tempfile.mkdtemp(prefix="assist-owner-")
    config, sip, httpp = write_config(d, free_port())
    daemon = Daemon(config, httpp, sip).start()
    try:
        store = os.path.join(d, "assistline.db")
        # a second daemon on the same store stops at once (its key filters and ids assume it is alone)
        p = subprocess.run([harness.DAEMON, "--config", config], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "an assistlined is running on this store" in p.stderr, (p.returncode, p.stderr)
        # nor through a symlink to the same store, from another folder and other ports
        d2 = os.path.join(d, "other"); os.makedirs(d2)
        os.symlink(os.path.join(d, "assistline.db"), os.path.join(d2, "assistline.db"))
        config2, _, _ = write_config(d2, free_port())
        p = subprocess.run([harness.DAEMON, "--config", config2], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "an assistlined is running on this store" in p.stderr, (p.returncode, p.stderr)
        # nor through a hard link: another path to the same file, with no lock file of its own yet; a store
        # with two names is refused outright (SQLite's WAL follows the name: two names are two stores), by a
        # dry run too, and by the daemon itself once the other is stopped
        d3 = os.path.join(d, "hard"); os.makedirs(d3)
        os.link(store, os.path.join(d3, "assistline.db"))
        config3, _, _ = write_config(d3, free_port())
        p = subprocess.run([harness.DAEMON, "--config", config3], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "names (hard links)" in p.stderr, (p.returncode, p.stderr)
        assert not os.path.exists(os.path.join(d3, "assistline.db.lock")), "a refused start left a lock file"
        p = subprocess.run([CTL, "recompute", "--dry-run", "--store", os.path.join(d3, "assistline.db")],
                           capture_output=True, text=True)
        assert p.returncode == 2 and "names (hard links)" in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(d3, "assistline.db-wal"))
        assert daemon.stop() == 0
        p = subprocess.run([harness.DAEMON, "--config", config3], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "names (hard links)" in p.stderr, (p.returncode, p.stderr)
        os.unlink(os.path.join(d3, "assistline.db"))
        daemon = Daemon(config, httpp, sip).start()
        # the store holds numbers in full: owner only
        for f in (store, store + "-wal", store + "-shm"):
            assert os.stat(f).st_mode & 0o077 == 0, (f, oct(os.stat(f).st_mode))
        p = subprocess.run([CTL, "recompute", "--store", store], capture_output=True, text=True)
        assert p.returncode == 2 and "POST /api/v1/recompute" in p.stderr, p.stderr
        p = subprocess.run([CTL, "recompute", "--dry-run", "--store", store], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr  # reading is fine
        assert daemon.stop() == 0
        p = subprocess.run([CTL, "recompute", "--store", store], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr  # the daemon stopped: its lock went with it
        daemon = Daemon(config, httpp, sip).start()  # and it starts again
    finally:
        daemon.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_another_programs_database_is_refused_and_left_as_it_was():
    """storage.path naming another program's SQLite file (here in WAL mode with rows still in its WAL): the
    daemon stops at start saying so, and the file, its WAL (not checkpointed into it) and its mode are as
    they were, with no lock file of ours beside them."""
    import hashlib
    d = tempfile.mkdtemp(prefix="assist-foreign-")
    try:
        db = os.path.join(d, "helpdesk.db")
        script = (f"import sqlite3, os; c = sqlite3.connect({db!r}); c.execute('PRAGMA journal_mode=WAL'); "
                  "c.execute('PRAGMA wal_autocheckpoint=0'); "
                  "c.execute('CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT)'); "
                  "c.execute('PRAGMA user_version = 1'); c.execute(\"INSERT INTO tickets VALUES (1, 'printer')\"); "
                  "c.commit(); os._exit(0)")
        subprocess.run([sys.executable, "-c", script], check=True)  # exits without a checkpoint: rows in the WAL
        os.chmod(db, 0o644)
        def state():
            return {f: (hashlib.sha1(open(os.path.join(d, f), "rb").read()).hexdigest(),
                        oct(os.stat(os.path.join(d, f)).st_mode))
                    for f in sorted(os.listdir(d))
                    if f.startswith("helpdesk.db") and not f.endswith("-shm")}  # -shm: any reader's shared index
        before = state()
        assert "helpdesk.db-wal" in before, before
        cfg = os.path.join(d, "c.yaml")
        open(cfg, "w").write(f'sip: {{listen: ["udp:127.0.0.1:{free_port()}"]}}\nhttp: {{listen: "127.0.0.1:{free_port()}"}}\n'
                             f'storage: {{path: "{db}"}}\n')
        p = subprocess.run([harness.DAEMON, "--config", cfg], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "an SQLite database of something else" in p.stderr, (p.returncode, p.stderr)
        assert state() == before, (before, state())
        assert not os.path.exists(db + ".lock")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@with_env
def test_open_a_ticket_by_hand(env):
    """POST /api/v1/tickets: a walk-in classified as a call is, the same caller's call joined (并单),
    the contact found by its id, a bad body refused with its field, and the ticket dispatched on confirm."""
    st, t = env.d.api("POST", "/api/v1/tickets", {"channel": "walk_in", "text": FIRE, "caller": "13955550001",
                                                   "region_code": PLACE, "by": "坐席王", "note": "来访"})
    assert st == 201, (st, t)
    assert t["channel"] == "walk_in" and t["category"] == "temporary_assistance" and t["urgency"] == "critical", t
    assert t["caller"] == "139****0001" and t["region_code"] == PLACE and t["confirmed"] is False, t
    assert t["reasons"] and t["clocks"]["first_response"]["due"] == t["first_response_due"], t
    assert "confirm" in t["allowed_events"] and t["policy_version"].startswith("p-"), t
    st, same = env.d.api("GET", "/api/v1/calls/" + urllib.parse.quote(t["call_id"], safe=""))
    assert st == 200 and same["id"] == t["id"] and t["call_id"].startswith("hand "), (st, same)
    st, evs = env.d.api("GET", f"/api/v1/tickets/{t['id']}/events")
    hand = [e for e in evs["events"] if e["type"] == "hand_opened"]
    assert hand and hand[0]["by"] == "坐席王" and hand[0]["body"]["channel"] == "walk_in", evs
    # the caller calls through SIP about the same thing: the call joins the hand-opened ticket
    tid = env.call(caller="13955550001")
    assert tid == t["id"], (tid, t["id"])
    # and a SIP call's ticket is joined by a contact opened by hand: 200, not a new ticket
    first = env.call(caller="13955550002")
    st, j = env.d.api("POST", "/api/v1/tickets", {"channel": "phone", "text": FIRE, "caller": "13955550002",
                                                   "contact_id": "pbx2-call-77"})
    assert st == 200 and j["id"] == first and j["call_count"] == 2 and j["channel"] == "sip", (st, j)
    st, again = env.d.api("POST", "/api/v1/tickets", {"channel": "phone", "text": FIRE, "caller": "13955550002",
                                                       "contact_id": "pbx2-call-77"})
    assert st == 200 and again["call_count"] == 2, ("a contact sent twice counted twice", again)
    # bad bodies: the field at fault, nothing opened
    for body, code, field in [({"text": FIRE}, "missing_field", "channel"),
                              ({"channel": "walk_in"}, "missing_field", "text"),
                              ({"channel": "walk_in", "text": FIRE, "urgency": "high"}, "bad_label", "urgency"),
                              ({"channel": "walk_in", "text": FIRE, "region_code": "1501"}, "bad_region", "region_code"),
                              ({"channel": "walk_in", "text": FIRE, "colour": "red"}, "unknown_field", "colour")]:
        st, e = env.d.api("POST", "/api/v1/tickets", body)
        assert st == 400 and e["error"]["code"] == code and e["error"]["field"] == field, (body, st, e)
    st, e = env.d.api("POST", "/api/v1/tickets", {"channel": "web", "text": "请问这个月的水费怎么在网上交，交费网站打不开"})
    assert st == 422 and e["error"]["code"] == "not_social_assistance", (st, e)
    st, lst = env.d.api("GET", "/api/v1/tickets")
    assert len(lst["tickets"]) == 2, [x["id"] for x in lst["tickets"]]
    # the agent's labels, no text; confirmed, the office is told
    st, n = env.d.api("POST", "/api/v1/tickets", {"channel": "letter", "category": "minimum_living_allowance",
                                                   "request_type": "help", "urgency": "normal", "region_code": PLACE})
    assert st == 201 and n["confidence"] == 1.0 and n["sla_rule"] == "first_response=1wd resolution=10wd", n
    c = env.ev(n["id"], {"type": "confirm", "by": "agent-7"})
    assert c["confirmed"] is True and c["assignee"]["name"] == "海拉尔东路街道协调员", c
    wait_until(lambda: [b for b in env.hook.bodies() if b["kind"] == "dispatch" and b["ticket_id"] == n["id"]],
               10, "the dispatch of the hand-opened ticket")


def test_assistctl_deadline_per_region():
    """Office hours and extra days off of the office's region, checked without a daemon: a config with a
    banner's own hours (sla.business_hours) and a calendar folder with regions-2026.yaml. The region, the
    hours and the days are invented for the test."""
    d = tempfile.mkdtemp(prefix="assist-region-")
    try:
        cfg = os.path.join(d, "site.yaml")
        open(cfg, "w").write(
            "sla:\n"
            "  limits:\n"
            "    - {urgency: urgent, first_response: 2wh, resolution: 2wd}\n"
            "    - {first_response: 1wd, resolution: 10wd}\n"
            "  business_hours:\n"
            "    \"152522\":\n"
            "      hours: [\"08:30-12:00\", \"14:30-18:00\"]\n"
            "      seasons: [{name: summer, from: \"05-01\", to: \"09-30\", hours: [\"08:00-12:00\", \"15:00-18:30\"]}]\n")
        cal = os.path.join(d, "calendars")
        os.mkdir(cal)
        open(os.path.join(cal, "regions-2026.yaml"), "w").write(
            "year: 2026\ndays:\n  - {region: \"152522\", date: 2026-07-15, name: 测试休息日}\n"
            "  - {region: \"152522\", date: 2026-07-16, name: 测试休息日}\n")
        base = [CTL, "--config", cfg, "deadline", "--opened", "2026-07-14T17:00:00+08:00", "--urgency", "urgent",
                "--request-type", "help", "--calendar-dir", cal]
        run_ctl = lambda extra: json.loads(subprocess.run(base + extra, capture_output=True, text=True, check=True).stdout)
        city = run_ctl(["--region", "150102001"])
        assert city["first_response_due"] == "2026-07-15T09:30:00+08:00", city
        assert city["resolution_due"] == "2026-07-17T00:00:00+08:00" and city["regional_days_off"] == [], city
        assert city["business_hours"] == "08:30-12:00 14:30-18:00", city
        banner = run_ctl(["--region", "152522101"])
        # summer hours 17:00-18:30, then 15 and 16 July closed: Friday 08:00 + 0.5 h; 2wd: Friday, Monday
        assert banner["first_response_due"] == "2026-07-17T08:30:00+08:00", banner
        assert banner["resolution_due"] == "2026-07-21T00:00:00+08:00", banner
        assert banner["regional_days_off"] == ["2026-07-15 152522 测试休息日", "2026-07-16 152522 测试休息日"], banner
        assert banner["business_hours"].startswith("152522: 08:30-12:00 14:30-18:00; summer 05-01..09-30"), banner
        assert banner["policy_version"] == city["policy_version"], "one policy, two regions"
        p = subprocess.run(base + ["--region", "15x"], capture_output=True, text=True)
        assert p.returncode == 2 and "--region" in p.stderr, p.stderr
        # a broken section names file, line and key, for the CLI and for the daemon's --check-config
        open(cfg, "a").write("    \"1525\": {hours: [\"12:00-08:00\"]}\n")
        p = subprocess.run(base, capture_output=True, text=True)
        assert p.returncode == 2 and f"{cfg}:9: sla.business_hours.1525.hours[0]" in p.stderr, p.stderr
        p = subprocess.run([harness.DAEMON, "--config", cfg, "--check-config"], capture_output=True, text=True)
        assert p.returncode == 2 and f"{cfg}:9: sla.business_hours.1525.hours[0]" in p.stderr, p.stderr
        # --check-config checks the calendar folder a start would load, too
        good = os.path.join(d, "good.yaml")
        open(good, "w").write("instance: SA\n")
        p = subprocess.run([harness.DAEMON, "--config", good, "--calendar-dir", cal, "--check-config"],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        open(os.path.join(cal, "cn-2027.yaml"), "w").write("year: 2027\ndays: [\n")
        p = subprocess.run([harness.DAEMON, "--config", good, "--calendar-dir", cal, "--check-config"],
                           capture_output=True, text=True)
        assert p.returncode == 2 and "cn-2027.yaml:" in p.stderr, p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _daemon_with_open_files(prefix, http_extra, nofile, sip_tcp=False, http_host="127.0.0.1"):
    """A daemon in a folder of its own started under RLIMIT_NOFILE `nofile` (soft, hard), `http_extra`
    added to its http section, SIP over UDP (and TCP on the same port with `sip_tcp`); waits until it
    answers. Returns (folder, process, http port, healthy()); the SIP port is in _daemon_with_open_files.sip."""
    import resource
    d = tempfile.mkdtemp(prefix=prefix)
    sip, httpp = free_port(), free_port()
    _daemon_with_open_files.sip = sip
    listen = f'"udp:127.0.0.1:{sip}"' + (f', "tcp:127.0.0.1:{sip}"' if sip_tcp else "")
    cfg = os.path.join(d, "c.yaml")
    open(cfg, "w").write(f'sip: {{listen: [{listen}]}}\nhttp: {{listen: "{http_host}:{httpp}"{http_extra}}}\n'
                         f'storage: {{path: "{d}/s.db"}}\nlog: {{file: "{d}/d.log"}}\n')
    p = subprocess.Popen([harness.DAEMON, "--config", cfg], preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    healthy = lambda: urllib.request.urlopen(f"http://127.0.0.1:{httpp}/healthz", timeout=1).status == 200
    try:
        wait_until(lambda: _quietly(healthy), 10, "the daemon")
    except BaseException:
        p.terminate(); p.wait(timeout=20); shutil.rmtree(d, ignore_errors=True)
        raise
    return d, p, httpp, healthy


def test_http_out_of_descriptors_waits_instead_of_spinning_and_recovers():
    """Idle connections past the process's descriptor limit: accept fails (EMFILE) and is tried again every
    100 ms, not in a loop that holds a core; once they close the API answers again."""
    import socket
    d, p, httpp, healthy = _daemon_with_open_files("assist-fds-", "", (90, 90))
    socks = []
    try:
        for _ in range(150):
            s = socket.socket(); s.settimeout(1); s.connect(("127.0.0.1", httpp)); socks.append(s)
        # a hard limit below what the configured limits may need is said at start
        assert "open files limit is 90 (hard limit)" in open(os.path.join(d, "d.log")).read()
        wait_until(lambda: "cannot accept a connection" in open(os.path.join(d, "d.log")).read(), 5, "the accept error")
        ticks = lambda: sum(int(x) for x in open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
        t0 = ticks(); time.sleep(2); used = ticks() - t0
        assert used < 50, f"{used} ticks in 2 s while out of descriptors: accept is spinning"
        for s in socks: s.close()
        socks = []
        wait_until(lambda: _quietly(healthy), 5, "the API after the connections closed")
    finally:
        for s in socks: s.close()
        p.terminate(); p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)


def _own_address():
    """An IPv4 address of this machine that is not loopback, or None."""
    import socket
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect(("192.0.2.1", 9))  # no packet is sent: only the route's source address is looked up
        a = u.getsockname()[0]
        u.close()
        return None if a.startswith("127.") else a
    except OSError:
        return None


def test_one_remote_address_cannot_take_every_http_place():
    """A client the API refuses (403, not loopback) is closed after its answer, and one remote address holds
    a quarter of http.max_connections at most: the board and probes on loopback keep working."""
    import socket
    own = _own_address()
    if not own:
        raise Skip("this machine has no IPv4 address but loopback to connect from")
    d, p, httpp, healthy = _daemon_with_open_files("assist-remote-", ", max_connections: 8", (4096, 4096),
                                                   http_host="0.0.0.0")
    idle = []
    try:
        def remote():
            s = socket.socket(); s.settimeout(5); s.bind((own, 0)); s.connect((own, httpp)); return s
        def answer(s):
            got = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: return got
                got += chunk
        s = remote()
        s.sendall(b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive asked for
        got = answer(s)  # returns only when the daemon closes the connection
        s.close()
        assert got.startswith(b"HTTP/1.1 403 "), got
        idle = [remote(), remote()]  # a quarter of 8
        s = remote()
        got = answer(s); s.close()
        assert got.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in got, got
        assert _quietly(healthy), "loopback locked out by one remote address"
        idle.pop().close()
        s = remote(); s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 "), "a place given back was not taken again"
        idle.append(s)
    finally:
        for s in idle: s.close()
        p.terminate(); p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)


def test_head_answers_headers_only_and_a_pipelined_get_follows():
    """HEAD gets the GET's headers with its Content-Length and no body (RFC 9110 §9.3.2): a GET pipelined
    behind it on the same connection is answered as its own response."""
    import socket
    d, p, httpp, healthy = _daemon_with_open_files("assist-head-", "", (4096, 4096))
    try:
        s = socket.create_connection(("127.0.0.1", httpp), timeout=5)
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk: break
            got += chunk
        s.close()
        head, sep, rest = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nContent-Length: 3" in head, got
        assert rest.startswith(b"HTTP/1.1 200 "), f"the HEAD answer carried a body: {got!r}"
        assert rest.endswith(b"\r\n\r\nok\n"), got
    finally:
        p.terminate(); p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)


def test_sip_tcp_out_of_descriptors_waits_instead_of_spinning():
    """SIP over TCP past the descriptor limit: accept fails (EMFILE) and is tried again every 100 ms, said
    once, not in a loop that holds a core; UDP calls are still answered."""
    import socket
    d, p, httpp, healthy = _daemon_with_open_files("assist-sipfds-", "", (90, 90), sip_tcp=True)
    sip = _daemon_with_open_files.sip
    socks = []
    try:
        for _ in range(120):  # idle HTTP connections take the descriptors that are left
            s = socket.socket(); s.settimeout(1); s.connect(("127.0.0.1", httpp)); socks.append(s)
        # the HTTP thread accepts them on its own time: only once it has run out may the SIP connections come,
        # or the SIP thread may accept them first (seen under load in CI)
        wait_until(lambda: "cannot accept a connection" in open(os.path.join(d, "d.log")).read(), 5,
                   "the HTTP accept error (every descriptor taken)")
        for _ in range(3):
            s = socket.socket(); s.settimeout(1); s.connect(("127.0.0.1", sip)); socks.append(s)
        wait_until(lambda: "cannot accept a TCP connection" in open(os.path.join(d, "d.log")).read(), 5,
                   "the SIP accept error")
        ticks = lambda: sum(int(x) for x in open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
        t0 = ticks(); time.sleep(2); used = ticks() - t0
        assert used < 50, f"{used} ticks in 2 s while out of descriptors: the SIP accept is spinning"
        assert open(os.path.join(d, "d.log")).read().count("cannot accept a TCP connection") == 1
        u = Udp(sip)
        raw, cid = invite(sip, u.local, caller="13800000001", text="想问一下低保申请", digits="3")
        code, _, _ = u.final(raw, cid)
        assert code == 302, code
    finally:
        for s in socks: s.close()
        p.terminate(); p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)


def test_http_connections_past_the_limit_get_503_and_the_rest_are_served():
    """http.max_connections: idle connections hold their places; one more gets 503 with Retry-After at once
    and is closed (not left to wait while descriptors run out); once one closes the API answers again."""
    import socket
    d, p, httpp, healthy = _daemon_with_open_files("assist-conns-", ", max_connections: 3", (200, 4096))
    idle = []
    try:
        # a soft descriptor limit below the hard one is raised to it at start
        limits = open(f"/proc/{p.pid}/limits").read()
        assert re.search(r"Max open files\s+4096\s+4096", limits), limits
        for _ in range(3):
            s = socket.socket(); s.settimeout(5); s.connect(("127.0.0.1", httpp)); idle.append(s)
        extra = socket.socket(); extra.settimeout(5); extra.connect(("127.0.0.1", httpp))
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk: break  # closed by the daemon
            got += chunk
        extra.close()
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 "), got
        assert b"\r\nRetry-After: 1" in head, got
        assert json.loads(body)["error"]["code"] == "busy", got
        # the idle ones still work: a request on one of them is answered
        idle[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle[0].recv(4096).startswith(b"HTTP/1.1 200 "), "an admitted connection was not served"
        idle.pop().close()
        wait_until(lambda: _quietly(healthy), 5, "a new connection once one closed")
        wait_until(lambda: "http.max_connections" in open(os.path.join(d, "d.log")).read(), 5, "the log line")
    finally:
        for s in idle: s.close()
        p.terminate(); p.wait(timeout=20)
        shutil.rmtree(d, ignore_errors=True)


def _quietly(f):
    try:
        return f()
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(run([test_clocks_pause_resume_and_extend, test_return_reassign_restarts_the_office_clock,
                  test_merge_recompute_and_the_calendar_warning, test_assistctl_deadline_and_recompute_with_a_calendar_folder,
                  test_one_daemon_per_store_and_no_recompute_under_it,
                  test_another_programs_database_is_refused_and_left_as_it_was,
                  test_open_a_ticket_by_hand, test_assistctl_deadline_per_region,
                  test_http_out_of_descriptors_waits_instead_of_spinning_and_recovers,
                  test_http_connections_past_the_limit_get_503_and_the_rest_are_served,
                  test_sip_tcp_out_of_descriptors_waits_instead_of_spinning,
                  test_head_answers_headers_only_and_a_pipelined_get_follows,
                  test_one_remote_address_cannot_take_every_http_place]))
