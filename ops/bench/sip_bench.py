#!/usr/bin/env python3
"""scripts/bench sip: SIPp drives INVITE -> 302 -> ACK at fixed rates, each call from a new caller (so each
opens a ticket), against assistlined (real classification, durable ticketing in SQLite) and, alternating in
the same run, against Kamailio 5.6 as a stateless redirect server (ops/bench/kamailio-redirect.cfg,
children=2, htable counter on the IVR digits, sl_send_reply("302")). For each: calls completed and failed,
retransmissions, response time p50/p99 (SIPp's response-time trace, 1 ms resolution), server CPU µs per call
(user+system of every process and thread of the server from /proc, over the run plus a 2 s tail); the
median of R alternating rounds; and the ratio assistlined / Kamailio.

  scripts/bench sip [--rates 2000,5000,10000] [--calls N] [--rounds R] [--per-sipp RATE] [--no-ticket]
                    [--random-callers] [--group-commit-ms MS]

--random-callers: each call's new number is drawn at random (never repeated) instead of counting up, as a
hotline's callers are: every caller index then takes the call on a leaf page of its own (more WAL pages a
commit) where counting up fills one leaf after another.

--group-commit-ms: assistlined's storage.group_commit_ms (default 2): a longer window puts more calls in
each commit (fewer fsyncs a call) and adds to the response time.

--no-ticket is a diagnostic, not the comparison the issue asks for: every call says something confidently
outside social assistance (a broken street light, IVR digit 0), so assistlined classifies and redirects it to
the general queue without opening a ticket: the SIP layer + classifier without the store.
"""
import math, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("ASSIST_BUILD", os.path.join(ROOT, "build"))
DAEMON = os.path.join(BUILD, "bin", "assistlined")
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
SCEN = os.path.join(ROOT, "scripts", "sipp", "uac-redirect.xml")
KCFG = os.path.join(ROOT, "ops", "bench", "kamailio-redirect.cfg")
TICK = os.sysconf("SC_CLK_TCK")

rates, calls, rounds, per_sipp, no_ticket, random_callers = [2000, 5000, 10000], 40000, 3, 5000, False, False
group_commit_ms = None
args = sys.argv[1:]
while args:
    a = args.pop(0)
    if a == "--rates": rates = [int(x) for x in args.pop(0).split(",")]
    elif a == "--calls": calls = int(args.pop(0))
    elif a == "--rounds": rounds = int(args.pop(0))
    elif a == "--per-sipp": per_sipp = int(args.pop(0))
    elif a == "--no-ticket": no_ticket = True
    elif a == "--random-callers": random_callers = True
    elif a == "--group-commit-ms": group_commit_ms = float(args.pop(0))
    else: sys.exit(f"bench sip: unknown option {a}\n" + __doc__)
for what, path in (("assistlined", DAEMON), ("kamailio", KAMAILIO), ("sipp", shutil.which("sipp") or "")):
    if not path or not os.path.exists(path):
        sys.exit(f"bench sip: {what} not found ({path}); run scripts/setup and scripts/build")


def free_port():
    while True:
        t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p)); return p
        except OSError: pass
        finally: t.close(); u.close()


def tree(pid):
    """pid and all its descendants."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                f = open(f"/proc/{d}/stat").read()
                ppid = int(f[f.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop(); out.append(p); todo += kids.get(p, [])
    return out


def cpu_seconds(pid):
    """user+system of every thread of every process in the tree (threads: /proc/P/task/T/stat)."""
    total = 0
    for p in tree(pid):
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                f = open(f"/proc/{p}/task/{t}/stat").read()
                fields = f[f.rindex(")") + 2:].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICK


work = tempfile.mkdtemp(prefix="assist-bench-sip-")
procs = []


def start_assistlined():
    sip, http = free_port(), free_port()
    cfg = os.path.join(work, "assistlined.yaml")
    window = f", group_commit_ms: {group_commit_ms}" if group_commit_ms is not None else ""
    open(cfg, "w").write(f"""
sip: {{listen: ["udp:127.0.0.1:{sip}"]}}
http: {{listen: "127.0.0.1:{http}"}}
storage: {{path: "{work}/assistline.db"{window}}}
log: {{file: "{work}/assistlined.log", level: warn}}
""")
    p = subprocess.Popen([DAEMON, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    end = time.time() + 15
    while time.time() < end:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{http}/readyz", timeout=1).status == 200:
                return p, sip
        except Exception:
            time.sleep(0.1)
    sys.exit("bench sip: assistlined did not become ready")


def start_kamailio():
    port = free_port()
    run = os.path.join(work, "kamailio"); os.makedirs(run, exist_ok=True)
    log = open(os.path.join(work, "kamailio.log"), "w")
    p = subprocess.Popen([KAMAILIO, "-f", KCFG, "-DD", "-E", "-m", "128", "-M", "16",
                          "-A", f"KAM_LISTEN=udp:127.0.0.1:{port}", "-A", f'RUN_DIR="{run}"'],
                         stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    time.sleep(1.5)
    if p.poll() is not None:
        sys.exit("bench sip: kamailio exited: " + open(log.name).read()[-2000:])
    return p, port


next_caller = [13000000000]
drawn, drawn_rng = set(), __import__("random").Random(12345)


def injection(n):
    """n new callers (never reused across runs, so every call opens a ticket)."""
    path = os.path.join(work, f"calls-{next_caller[0]}.csv")
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        # 想问一下低保申请 (a minimum-living-allowance question, IVR 3: ticketed) or, with --no-ticket,
        # 我们小区门口的路灯坏了好几天了 (a street light, IVR 0: general queue, no ticket)
        text, digits = (("%E6%88%91%E4%BB%AC%E5%B0%8F%E5%8C%BA%E9%97%A8%E5%8F%A3%E7%9A%84%E8%B7%AF%E7%81%AF%E5%9D%8F"
                         "%E4%BA%86%E5%A5%BD%E5%87%A0%E5%A4%A9%E4%BA%86", "0") if no_ticket else
                        ("%E6%83%B3%E9%97%AE%E4%B8%80%E4%B8%8B%E4%BD%8E%E4%BF%9D%E7%94%B3%E8%AF%B7", "3"))
        numbers = [next_caller[0] + i for i in range(n)]
        if random_callers:
            # numbers never drawn before in this run: 11 digits after 1, apart from the counted-up range
            numbers = []
            while len(numbers) < n:
                x = drawn_rng.randrange(14000000000, 19999999999)
                if x not in drawn:
                    drawn.add(x); numbers.append(x)
        for x in numbers:
            f.write(f"{x};{text};150102001001;{digits}\n")
    next_caller[0] += n
    return path


def one_run(server_pid, port, rate, n):
    nsipp = max(1, math.ceil(rate / per_sipp))
    each = n // nsipp
    runs = []
    cpu0 = cpu_seconds(server_pid)
    t0 = time.time()
    for k in range(nsipp):
        tag = f"{port}-{rate}-{time.time():.3f}-{k}"
        stat, cwd = os.path.join(work, f"stat-{tag}.csv"), os.path.join(work, f"sipp-{tag}")
        os.makedirs(cwd)
        p = subprocess.Popen(
            ["sipp", "-sf", SCEN, "-inf", injection(each), "-i", "127.0.0.1", "-p", str(free_port()), "-t", "u1",
             "-m", str(each), "-r", str(rate // nsipp), "-rp", "1000", "-l", str(rate * 2),
             "-nostdin", "-recv_timeout", "5s", "-timeout", f"{int(each / (rate / nsipp)) + 30}s",
             "-trace_stat", "-stf", stat, "-fd", "1", "-trace_rtt", "-rtt_freq", "100",
             "-buff_size", str(4 << 20), f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
        runs.append((p, stat, cwd))
    for p, _, _ in runs:
        p.wait()
    wall = time.time() - t0
    time.sleep(2)  # the tail: retransmission timers, deferred work
    cpu = cpu_seconds(server_pid) - cpu0
    ok = failed = retrans = 0
    rts = []
    for p, stat, _ in runs:
        rows = open(stat).read().strip().split("\n")
        hdr, last = rows[0].split(";"), rows[-1].split(";")
        ok += int(last[hdr.index("SuccessfulCall(C)")]); failed += int(last[hdr.index("FailedCall(C)")])
        retrans += int(last[hdr.index("Retransmissions(C)")])
    # response times: SIPp writes <scenario>_<its pid>_rtt.csv (Date_ms;response_time_ms;rtd_no) in its cwd
    for _, _, cwd in runs:
        for f in os.listdir(cwd):
            if f.endswith("_rtt.csv"):
                for ln in open(os.path.join(cwd, f)).read().strip().split("\n")[1:]:
                    parts = ln.split(";")
                    try:
                        rts.append(float(parts[1]))
                    except (IndexError, ValueError):
                        pass
        shutil.rmtree(cwd, ignore_errors=True)
    rts.sort()
    pct = lambda q: rts[min(len(rts) - 1, int(q * len(rts)))] if rts else float("nan")
    return {"ok": ok, "failed": failed, "retrans": retrans, "p50": pct(0.50), "p99": pct(0.99),
            "cpu_us": cpu * 1e6 / max(1, ok), "wall": wall, "rate_got": ok / wall if wall else 0}


def fmt(r):
    return (f"{r['ok']:>7} ok {r['failed']:>6} failed {r['retrans']:>7} retrans  p50 {r['p50']:6.2f} ms  "
            f"p99 {r['p99']:7.2f} ms  cpu {r['cpu_us']:7.1f} µs/call  ({r['rate_got']:.0f} calls/s achieved)")


try:
    a_proc, a_port = start_assistlined()
    k_proc, k_port = start_kamailio()
    la = os.getloadavg()
    if no_ticket: print("bench sip: --no-ticket: calls that open no ticket (diagnostic: SIP + classifier, no store)")
    if group_commit_ms is not None: print(f"bench sip: assistlined with storage.group_commit_ms {group_commit_ms}")
    if random_callers: print("bench sip: --random-callers: each call from a number drawn at random (never repeated)")
    print(f"bench sip: {calls} calls a round, {rounds} alternating rounds per rate, rates {rates}; "
          f"load average at start {la[0]:.2f} (2 cores shared: figures are noisy when others compile)")
    summary = []
    for rate in rates:
        res = {"assistlined": [], "kamailio": []}
        for rnd in range(rounds):
            order = [("assistlined", a_proc.pid, a_port), ("kamailio", k_proc.pid, k_port)]
            if rnd % 2: order.reverse()
            for name, pid, port in order:
                r = one_run(pid, port, rate, calls)
                res[name].append(r)
                print(f"  {rate:>6}/s round {rnd + 1} {name:<12} {fmt(r)}", flush=True)
        med = {}
        for name, rs in res.items():
            med[name] = {k: statistics.median([r[k] for r in rs]) for k in rs[0]}
            print(f"  {rate:>6}/s MEDIAN   {name:<12} {fmt(med[name])}")
        ratio = med["assistlined"]["cpu_us"] / med["kamailio"]["cpu_us"] if med["kamailio"]["cpu_us"] else float("nan")
        print(f"  {rate:>6}/s CPU per call assistlined / kamailio = {ratio:.2f}")
        summary.append((rate, med, ratio))
    print("\nsummary (medians):")
    print(f"  {'rate':>6}  {'server':<12} {'ok':>7} {'failed':>7} {'retrans':>8} {'p50 ms':>7} {'p99 ms':>7} {'µs/call':>8}")
    for rate, med, ratio in summary:
        for name in ("assistlined", "kamailio"):
            m = med[name]
            print(f"  {rate:>6}  {name:<12} {m['ok']:>7.0f} {m['failed']:>7.0f} {m['retrans']:>8.0f} "
                  f"{m['p50']:>7.2f} {m['p99']:>7.2f} {m['cpu_us']:>8.1f}")
        print(f"  {rate:>6}  ratio (CPU per call, assistlined / kamailio): {ratio:.2f}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try: p.wait(10)
            except subprocess.TimeoutExpired: p.kill()
    if os.environ.get("KEEP_BENCH_DIR"): print("kept", work)
    else: shutil.rmtree(work, ignore_errors=True)
