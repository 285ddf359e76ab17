#!/usr/bin/env python3
"""Nothing lost, nothing sent twice beyond what was in flight (DESIGN "What good looks like"; issue 6):
1 000 confirmed critical tickets breach together; the daemon is killed with SIGKILL at random moments
while it is sending, three times, and restarted; after it settles, every step owed (dispatch, warning,
township, county, league for each ticket) was delivered, and a message id arrived twice only for
deliveries in flight at a kill (at most max_in_flight per kill). Prints the figures."""
import json, os, random, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
from harness import *

N = 1000
KILLS = 3
FIRE = "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住，外面零下二十多度"


def test_sigkill_while_sending_loses_nothing():
    d = tempfile.mkdtemp(prefix="assist-crash-")
    hook = Hook()
    hook.delay = 0.004
    try:
        path, sip, httpp = write_config(d, hook.port)
        cfg = open(path).read()
        cfg = cfg.replace("first_response: 2s, resolution: 60s", "first_response: 25s, resolution: 1h")
        cfg = cfg.replace("{level: league, step: 30s}", "{level: league, step: 2s}")
        cfg = cfg.replace("retry: {initial: 1s, max: 2s}", "retry: {initial: 1s, max: 2s, jitter: 0.1}")
        open(path, "w").write(cfg)
        daemon = Daemon(path, httpp, sip).start()
        calls = os.path.join(d, "calls.csv")
        with open(calls, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(N):
                f.write(f"1{(3 + i % 6)}{i:09d};{asr(FIRE)};150102001001;3\n")
        t0 = time.time()
        subprocess.run(["sipp", "-sf", os.path.join(SIPP_DIR, "uac-redirect.xml"), "-inf", calls, "-t", "u1",
                        "-i", "127.0.0.1", "-p", str(free_port()), f"127.0.0.1:{sip}", "-m", str(N), "-r", "100",
                        "-l", "100", "-nostdin", "-timeout", "60s"], cwd=d, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        ids = []
        cursor = ""
        while True:
            st, page = daemon.api("GET", "/api/v1/tickets?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
            ids += [t["id"] for t in page["tickets"]]
            if not page["next"]: break
            cursor = page["next"]
        # on a loaded machine the overload guard may shed a few calls with 503 (by design): the test is about
        # delivery, so it runs on the tickets that were opened
        assert len(ids) >= N * 0.9, f"only {len(ids)} tickets for {N} calls"
        for tid in ids:
            st, t = daemon.api("POST", f"/api/v1/tickets/{tid}/events", {"type": "confirm", "by": "坐席"})
            assert st == 200, t
        opened = time.time() - t0
        # every ticket breaches within the same few seconds; kill while the storm is being sent
        want = {(tid, k, l) for tid in ids for (k, l) in
                (("dispatch", "office"), ("warning", "office"), ("escalation", "township"),
                 ("escalation", "county"), ("escalation", "league"))}
        kills = []
        rnd = random.Random(4475)
        for k in range(KILLS):
            target = len(want) * (k + 1) // (KILLS + 2)
            wait_until(lambda: len(hook.messages) >= target, 120, f"{target} deliveries before kill {k + 1}")
            time.sleep(rnd.uniform(0, 0.3))
            daemon.stop(signal.SIGKILL)
            kills.append(len(hook.messages))
            daemon.start()
        def settled():
            got = {(b["ticket_id"], b["kind"], b["level"]) for b in hook.bodies()}
            return want <= got
        wait_until(settled, 240, "every step delivered")
        time.sleep(1.0)
        bodies = hook.bodies()
        counts = {}
        for b in bodies:
            counts[b["id"]] = counts.get(b["id"], 0) + 1
        dup = sum(c - 1 for c in counts.values() if c > 1)
        steps = {}
        for b in bodies:
            steps.setdefault((b["ticket_id"], b["kind"], b["level"], b["reason"]), set()).add(b["id"])
        assert all(len(v) == 1 for v in steps.values()), "a step was sent under two ids"
        st, box = daemon.api("GET", "/api/v1/outbox?state=dead")
        assert not box["messages"], f"{len(box['messages'])} dead letters"
        print(f"     crash: {len(ids)} tickets opened and confirmed in {opened:.1f} s; {len(want)} steps owed, "
              f"{len(counts)} distinct ids delivered, {len(bodies)} deliveries; {KILLS} SIGKILLs after "
              f"{kills} deliveries; {dup} duplicate deliveries (bound {KILLS * 8})", flush=True)
        assert dup <= KILLS * 8, f"{dup} duplicate deliveries for {KILLS} kills"
        daemon.stop()
    finally:
        hook.close(); shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run([test_sigkill_while_sending_loses_nothing]))
