#!/usr/bin/env python3
"""Durability under load: SIPp sends INVITEs (each from a new caller, so each opens a ticket), the daemon is
killed with SIGKILL in the middle of the run, restarted on the same store; every ticket id that any 302
carried exists after the restart (a ticket is durable before the 302 that names it leaves)."""
import os, re, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import *

harness.DAEMON = os.environ.get("ASSISTLINED", harness.DAEMON)


def test_sigkill_mid_run_loses_no_ticket_a_302_named():
    if not shutil.which("sipp"):
        raise Skip("sipp is not installed")
    d = tempfile.mkdtemp(prefix="assist-dur-")
    config, sip, httpp = write_config(d, free_port())
    daemon = Daemon(config, httpp, sip).start()
    try:
        calls = os.path.join(d, "calls.csv")
        with open(calls, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(3000):
                f.write(f"135{i:08d};%E6%83%B3%E9%97%AE%E4%B8%80%E4%B8%8B%E4%BD%8E%E4%BF%9D%E7%94%B3%E8%AF%B7;150102001001;3\n")
        log = os.path.join(d, "uac.log")
        p = subprocess.Popen(["sipp", "-sf", os.path.join(SIPP_DIR, "uac-redirect.xml"), "-inf", calls, "-i", "127.0.0.1",
                              "-p", str(free_port()), "-m", "3000", "-r", "150", "-nostdin", "-recv_timeout", "2s",
                              "-timeout", "60s", "-trace_logs", "-log_file", log, f"127.0.0.1:{sip}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        time.sleep(3)
        daemon.proc.send_signal(signal.SIGKILL); daemon.proc.wait()
        killed_at = time.time()
        time.sleep(1)
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()
        named = re.findall(r"call \d+ ticket (\S+)", open(log, errors="replace").read() if os.path.exists(log) else "")
        named = [t for t in named if t and not t.startswith("$")]
        assert len(named) > 50, f"only {len(named)} 302s carried a ticket before the kill: the test proved little"
        daemon = Daemon(config, httpp, sip).start()
        missing = []
        for t in set(named):
            st, _ = daemon.api("GET", "/api/v1/tickets/" + t)
            if st != 200:
                missing.append((t, st))
        print(f"  {len(set(named))} ticket ids carried by 302s before SIGKILL; missing after restart: {len(missing)}")
        assert not missing, f"tickets named by a 302 but gone after SIGKILL: {missing[:5]}"
    finally:
        try:
            daemon.stop()
        except Exception:
            pass
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run([test_sigkill_mid_run_loses_no_ticket_a_302_named])
