#!/usr/bin/env python3
"""Classification against the real daemon (issue 4): POST /api/v1/classify is the call path's code; rules
reloads by POST /api/v1/rules/reload and SIGHUP, good and broken (the old rules stay, the error is precise,
calls keep being answered); the monitoring list built by `assistctl hash-numbers` puts the
monitored_household flag on the ticket; Mongolian and unsure calls always open a ticket; assistctl eval."""
import json, os, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
import harness
from harness import *

RULES = os.path.join(ROOT, "ops", "rules", "default.yaml")
KEY = "integration-test-key-0123"
DIBAO = "想问一下低保申请需要准备什么材料"
LIGHT = "我们小区门口的路灯坏了好几天了，晚上太黑"


class Env(harness.Env):
    """The daemon with a rules file of its own and a monitoring list built by `assistctl hash-numbers`."""
    def __init__(self):
        super().__init__(prefix="assist-cls-")
    def prepare(self):
        self.rules = os.path.join(self.dir, "rules.yaml")
        shutil.copy(RULES, self.rules)
        self.list = os.path.join(self.dir, "monitoring.txt")
        numbers = os.path.join(self.dir, "numbers.txt")
        open(numbers, "w").write("13800005555\n+86 139 0000 6666\n")
        cfg0 = os.path.join(self.dir, "ctl.yaml")
        open(cfg0, "w").write(f'classify: {{hmac_key: "{KEY}"}}\n')
        out = subprocess.run([CTL, "--config", cfg0, "hash-numbers", numbers], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "13800005555" not in out.stdout
        open(self.list, "w").write(out.stdout)
        return f'classify: {{rules: "{self.rules}", monitoring_list: "{self.list}", hmac_key: "{KEY}"}}\n'


with_env = env_test(Env)


def call(env, text, caller="13800001234", extra=()):
    u = Udp(env.sip)
    raw, cid = invite(env.sip, u.local, text=text, caller=caller, extra=extra)
    code, hdrs, _ = u.final(raw, cid)
    assert code == 302, f"no 302 for {cid}: {code}"
    return hdrs, cid


@with_env
def test_api_classify_is_the_call_path(env):
    st, j = env.d.api("POST", "/api/v1/classify", {"text": DIBAO})
    assert st == 200, j
    assert j["category"] == "minimum_living_allowance" and j["request_type"] == "consult", j
    assert j["ticketed"] is True and j["reasons"], j
    st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT})
    assert j["category"] == "not_social_assistance" and j["ticketed"] is False, j
    st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT, "language": "mn"})
    assert j["ticketed"] is True and j["unsure"] is True, j
    st, j = env.d.api("POST", "/api/v1/classify", {"ivr_digits": "3"})
    assert st == 400, j
    # assistctl classify gives the same labels
    out = subprocess.run([CTL, "classify", DIBAO], capture_output=True, text=True)
    c = json.loads(out.stdout)
    assert (c["category"], c["request_type"], c["urgency"]) == ("minimum_living_allowance", "consult", "normal")


@with_env
def test_reload_good_and_broken_by_api(env):
    st, j = env.d.api("POST", "/api/v1/rules/reload")
    assert st == 200 and j["ok"] and j["rules"] > 10 and j["monitored"] == 2, j
    # a rule that makes street lights dibao: proves the new rules are in force
    text = open(env.rules, encoding="utf-8").read()
    open(env.rules, "w", encoding="utf-8").write(text + "  - {id: test.lamp, label: category=minimum_living_allowance, weight: 20, cues: [路灯]}\n")
    st, j = env.d.api("POST", "/api/v1/rules/reload")
    assert st == 200 and j["ok"], j
    st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT})
    assert j["category"] == "minimum_living_allowance", j
    # broken: an unknown label on a known line; refused with file, line and key; the previous rules stay
    lines = open(env.rules, encoding="utf-8").read().splitlines()
    lines.append("  - {id: test.bad, label: category=nonsense, weight: 1, cues: [x]}")
    open(env.rules, "w", encoding="utf-8").write("\n".join(lines) + "\n")
    st, j = env.d.api("POST", "/api/v1/rules/reload")
    assert st == 422, j
    msg = j["error"]["message"]
    assert f"{env.rules}:{len(lines)}:" in msg and "label" in msg and "previous rules stay" in msg, msg
    st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT})
    assert j["category"] == "minimum_living_allowance", j  # still the last good rules
    hdrs, _ = call(env, DIBAO)
    assert h1(hdrs, "X-Assist-Category") == "minimum_living_allowance"


@with_env
def test_reload_by_sighup_and_calls_keep_flowing(env):
    import threading
    stop, answered, errors = threading.Event(), [0], []
    def caller():
        while not stop.is_set():
            try:
                hdrs, _ = call(env, DIBAO, caller="13700000001")
                answered[0] += 1
            except Exception as e:
                errors.append(str(e))
    th = threading.Thread(target=caller)
    th.start()
    try:
        open(env.rules, "a", encoding="utf-8").write("  - {id: test.lamp, label: category=minimum_living_allowance, weight: 20, cues: [路灯]}\n")
        env.d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "rules reloaded" in env.log(), 5, "reload logged")
        st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT})
        assert j["category"] == "minimum_living_allowance", j
        open(env.rules, "a", encoding="utf-8").write("  - {id: test.bad weight: [\n")
        env.d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "rules reload refused" in env.log(), 5, "refusal logged")
        assert env.d.proc.poll() is None, "the daemon died on a broken rules file"
        line = [l for l in env.log().splitlines() if "rules reload refused" in l][-1]
        assert env.rules + ":" in line, line
        st, j = env.d.api("POST", "/api/v1/classify", {"text": LIGHT})
        assert j["category"] == "minimum_living_allowance", j
        time.sleep(0.5)
    finally:
        stop.set()
        th.join()
    assert not errors, errors[:3]
    assert answered[0] > 0


@with_env
def test_monitored_household_flag_reaches_the_ticket(env):
    hdrs, cid = call(env, DIBAO, caller="13900006666")
    tid = h1(hdrs, "X-Assist-Ticket")
    st, t = env.d.api("GET", f"/api/v1/tickets/{tid}")
    assert "monitored_household" in t["flags"], t["flags"]
    assert t["urgency"] == "normal", t
    hdrs, _ = call(env, DIBAO, caller="13500007777")
    st, t = env.d.api("GET", f"/api/v1/tickets/{h1(hdrs, 'X-Assist-Ticket')}")
    assert "monitored_household" not in t["flags"], t["flags"]
    assert "13900006666" not in open(env.list).read()


@with_env
def test_mongolian_and_unsure_calls_open_a_ticket(env):
    hdrs, _ = call(env, LIGHT, extra=("X-Caller-Language: mn",))
    assert h1(hdrs, "X-Assist-Ticket"), "a Mongolian call must open a ticket"
    hdrs, _ = call(env, "你好我想说个事", caller="13600000002")
    assert h1(hdrs, "X-Assist-Ticket"), "an unsure call must open a ticket"
    hdrs, _ = call(env, LIGHT, caller="13600000003")
    assert not h1(hdrs, "X-Assist-Ticket"), "a confident street-light call goes to the general queue"


def test_assistctl_eval_prints_everything():
    out = subprocess.run([CTL, "eval", os.path.join(ROOT, "tests", "data", "classify", "heldout.jsonl")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for s in ["macro-F1", "confusion", "critical recall: 1.000", "critical/urgent sent to not_social_assistance: 0",
              " P ", " R ", "F1"]:
        assert s in out.stdout, s
    # a line with no labels, a null label or an unknown one is named and skipped (exit 2), never a raw error
    d = tempfile.mkdtemp(prefix="assist-eval-")
    try:
        bad = os.path.join(d, "bad.jsonl")
        open(bad, "w").write('{"id":"a","text":"想问低保"}\n'
                             '{"id":"b","text":"想问低保","category":null,"request_type":"help","urgency":"normal"}\n'
                             '{"id":"c","text":"想问低保","category":"minimum_living_allowance","request_type":"ask",'
                             '"urgency":"normal"}\n'
                             '{"id":"d","text":"想问低保","category":"minimum_living_allowance","request_type":"consult",'
                             '"urgency":"normal"}\n')
        out = subprocess.run([CTL, "eval", bad], capture_output=True, text=True)
        assert out.returncode == 2 and "texts: 1" in out.stdout, (out.returncode, out.stdout[:200], out.stderr)
        for line, why in ((1, 'needs a "category" label'), (2, 'needs a "category" label'),
                          (3, '"request_type": unknown label "ask"')):
            assert f"bad.jsonl:{line}: skipped: {why}" in out.stderr, out.stderr
        assert "json.exception" not in out.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run([test_api_classify_is_the_call_path, test_reload_good_and_broken_by_api,
                  test_reload_by_sighup_and_calls_keep_flowing, test_monitored_household_flag_reaches_the_ticket,
                  test_mongolian_and_unsure_calls_open_a_ticket, test_assistctl_eval_prints_everything]))
