// 坐席工单面板: the ticket a call opened (screen pop by Call-ID) or a ticket by id; the agent confirms or
// corrects labels and place, records an emergency handover; the office signs off and works the ticket.
// Action buttons come from the ticket's allowed_events, so events the API gains appear by themselves.
import { getJson, postJson, listen, el, placeName } from "/common/api.js";
import { CATEGORY, REQUEST_TYPE, URGENCY, STATUS, FLAG, LEVEL, EVENT, HISTORY, POLICY_HINT, REPORT_HINT, label, levelName } from "/common/labels.js";
import { formatCountdown, formatLocal, secondsUntil } from "/common/clock.js";
import { clockState, runningClocks } from "/common/sla.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let ticket = null;
let warningAt = 0.8;
let chosenPlace = null;  // {code, full_name}

// ---- the agent's own actions have forms above; the rest get a small form here ----
const AGENT = new Set(["confirm", "transfer_emergency"]);
const FORMS = {
  contact_attempt: [{ key: "reached", kind: "bool", text: "已联系上来电人" }],
  note: [{ key: "note", kind: "text", text: "备注", required: true }],
  return: [{ key: "reason", kind: "text", text: "退单原因", required: true }],
  extend: [{ key: "duration", kind: "text", text: "延长（如 5wd、24h）", required: true },
           { key: "reason", kind: "text", text: "延期原因", required: true },
           { key: "approved_by", kind: "text", text: "热线中心审批人", required: true }],
  reassign: [{ key: "region_code", kind: "text", text: "新的区划代码" }, { key: "office", kind: "text", text: "承办单位名称" }],
  merge: [{ key: "into", kind: "text", text: "并入工单号", required: true }],
  close: [{ key: "revisit.reached", kind: "bool", text: "回访联系上来电人" }, { key: "revisit.satisfied", kind: "bool", text: "来电人满意" }],
  cancel: [{ key: "note", kind: "text", text: "取消原因（转普通热线）" }],
  wait_on_caller: [{ key: "note", kind: "text", text: "说明" }],
  resume: [{ key: "note", kind: "text", text: "说明" }],
};
// The resolution standard (办结标准, call-taxonomy.md) decides what `resolve` must carry.
function resolveForm(t) {
  if (t.urgency === "critical" || t.urgency === "urgent")
    return [{ key: "resolution.given", kind: "text", text: "先行救助内容", required: true },
            { key: "resolution.fund", kind: "text", text: "资金来源", required: true },
            { key: "resolution.approved_by", kind: "text", text: "审批人", required: true }];
  if (t.category === "hardship_report")
    return [{ key: "resolution.outcome", kind: "select", text: "核实结论", options: { enrolled: "纳入", not_eligible: "不符合", referred: "转介" } }];
  if (t.request_type === "complaint" || t.request_type === "report")
    return [{ key: "resolution.finding", kind: "text", text: "调查结论", required: true },
            { key: "resolution.caller_told", kind: "bool", text: "已告知来电人" }];
  if (t.request_type === "consult") return [{ key: "resolution.answer", kind: "text", text: "答复内容", required: true }];
  return [{ key: "resolution.accepted", kind: "bool", text: "申请已受理" },
          { key: "resolution.visit_booked", kind: "text", text: "入户时间", required: true },
          { key: "resolution.time_limit_told", kind: "bool", text: "已告知法定时限" }];
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] = o[k] || {};
  o[keys[keys.length - 1]] = value;
}

function say(text, ok) {
  const r = $("action-result");
  r.textContent = text;
  r.className = ok ? "ok" : "error";
}

async function send(type, extra = {}) {
  const body = { type, by: $("a-by").value.trim() || "坐席", ...extra };
  try {
    const t = await postJson(`/api/v1/tickets/${encodeURIComponent(ticket.id)}/events`, body);
    show(t);
    say(`${EVENT[type] || type}：已完成`, true);
    loadHistory();
    return true;
  } catch (e) {
    say(`${EVENT[type] || type}未完成：${e.message}` + (e.allowed ? `；当前可执行：${e.allowed.map((a) => EVENT[a] || a).join("、")}` : ""), false);
    return false;
  }
}

function openForm(type) {
  const fields = type === "resolve" ? resolveForm(ticket) : FORMS[type] || [];
  const form = $("action-form");
  if (!fields.length) return send(type);
  const inputs = fields.map((f) => {
    let input;
    if (f.kind === "bool") input = el("input", { type: "checkbox", "data-key": f.key, checked: true });
    else if (f.kind === "select") input = el("select", { "data-key": f.key }, Object.entries(f.options).map(([v, n]) => el("option", { value: v }, n)));
    else input = el("input", { "data-key": f.key, autocomplete: "off" });
    return { f, input, label: el("label", {}, f.text + " ", input) };
  });
  form.replaceChildren(el("strong", {}, EVENT[type] || type), ...inputs.map((i) => i.label),
    el("button", { class: "primary", onclick: async () => {
      const extra = {};
      for (const { f, input } of inputs) {
        const v = f.kind === "bool" ? input.checked : input.value.trim();
        if (f.required && v === "") return say(`请填写：${f.text}`, false);
        if (v !== "") setPath(extra, f.key, v);
      }
      if (type === "resolve" && !extra.result) extra.result = Object.values(extra.resolution || {}).filter((v) => typeof v === "string").join("；");
      if (await send(type, extra)) form.hidden = true;
    } }, "提交" + (EVENT[type] || type)),
    el("button", { onclick: () => { form.hidden = true; } }, "取消"));
  form.hidden = false;
  inputs[0].input.focus();
}

function renderActions(t) {
  const allowed = t.allowed_events || [];
  $("actions").replaceChildren(...allowed.filter((a) => !AGENT.has(a)).map((a) =>
    el("button", { "data-event": a, onclick: () => openForm(a) }, EVENT[a] || a)));
  $("btn-confirm").disabled = !allowed.includes("confirm");
  $("btn-emergency").disabled = !allowed.includes("transfer_emergency");
}

function showPlace(code, target) {
  target.textContent = code || "—";
  if (code) placeName(code).then((name) => {
    const place = name.replace(`（${code}）`, "");  // a code not in the table is named by its parent
    target.textContent = place === code ? `${code}（${levelName(code)}）` : `${place}（${levelName(code)}，${code}）`;
  });
}

function show(t) {
  const placeChanged = !ticket || ticket.region_code !== t.region_code || ticket.region_hint !== t.region_hint;
  ticket = t;
  document.title = `${t.id} · 坐席工单面板`;
  $("ticket-id").textContent = t.id;
  $("status").textContent = label(STATUS, t.status);
  $("status").dataset.status = t.status;
  $("l-category").textContent = label(CATEGORY, t.category);
  $("l-type").textContent = label(REQUEST_TYPE, t.request_type);
  $("l-urgency").replaceChildren(el("span", { class: `tag urg-${t.urgency}` }, label(URGENCY, t.urgency)));
  $("l-confidence").textContent = t.confidence != null ? Number(t.confidence).toFixed(2) : "—";
  $("confirmed-mark").textContent = t.confirmed ? "（已确认）" : "（待确认：请与来电人核对）";
  $("confirmed-mark").className = t.confirmed ? "" : "tag unconfirmed";
  $("reasons").replaceChildren(...(t.reasons || []).map((r) =>
    el("li", {}, `“${r.cue}” → ${labelOfRule(r.label)}`, r.clause ? el("span", { class: "clause" }, `（${r.clause}）`) : null)));
  const hints = [POLICY_HINT[t.category], t.request_type === "report" ? REPORT_HINT : null].filter(Boolean);
  $("policy-hint").hidden = !hints.length;
  $("policy-hint").textContent = hints.join(" ");
  $("caller").textContent = t.caller || "—";
  $("calls").textContent = `${t.call_count || 1} 次` + ((t.flags || []).includes("repeat_caller") ? "（24 小时内重复来电）" : "");
  const earlier = t.earlier_tickets || [];  // only the ticket's own GET carries them; SSE updates keep the last list
  if (t.earlier_tickets) $("earlier").replaceChildren(...(earlier.length ? earlier.map((o) =>
    el("div", {}, el("a", { href: `/pane/?ticket=${encodeURIComponent(o.id)}` }, o.id),
       ` ${label(CATEGORY, o.category)} · ${label(URGENCY, o.urgency)} · ${label(STATUS, o.status)} · ${o.opened_at.slice(0, 10)}`)) : ["无"]));
  if (placeChanged) { showPlace(t.region_hint, $("hint-place")); showPlace(t.region_code, $("place")); }
  $("asr").textContent = t.asr_text || "—";
  $("assignee").textContent = t.assignee ? `${t.assignee.name}（${label(LEVEL, t.assignee.level)}）` : t.dispatch_gap ? "未找到承办单位（名录缺口）" : "—";
  const esc = t.escalation || {};
  const acked = ["first_response", "resolution"].some((c) => esc[c] && esc[c].acknowledged);
  $("escalation").textContent = t.escalation_level ? `已升级至${label(LEVEL, t.escalation_level)}${acked ? "，协调员已响应" : "，未响应"}` : "未升级";
  const tags = [];
  if (!t.confirmed) tags.push(el("span", { class: "tag unconfirmed" }, "未确认"));
  for (const f of t.flags || []) tags.push(el("span", { class: "tag flag" }, label(FLAG, f)));
  if (t.provisional) tags.push(el("span", { class: "tag prov" }, "暂定期限（缺少工作日历）"));
  $("tags").replaceChildren(...tags);
  for (const [sel, table, v] of [["c-category", CATEGORY, t.category], ["c-type", REQUEST_TYPE, t.request_type], ["c-urgency", URGENCY, t.urgency]]) {
    const s = $(sel);
    if (!s.options.length) for (const [id, name] of Object.entries(table)) s.append(el("option", { value: id }, name));
    if (document.activeElement !== s) s.value = v;
  }
  $("due-first").textContent = "截止 " + formatLocal(t.first_response_due);
  $("due-res").textContent = "截止 " + formatLocal(t.resolution_due);
  renderActions(t);
  tick();
  $("main").hidden = false;
}

function labelOfRule(l) {
  const [k, v] = String(l || "").split("=");
  const table = { category: CATEGORY, request_type: REQUEST_TYPE, urgency: URGENCY }[k];
  return table ? label(table, v) : l;
}

function tick() {
  if (!ticket) return;
  const running = new Set(runningClocks(ticket).map((c) => c.clock));
  for (const [clock, cd, box, due] of [["first_response", "cd-first", "t-first", ticket.first_response_due], ["resolution", "cd-res", "t-res", ticket.resolution_due]]) {
    const on = running.has(clock);
    const left = secondsUntil(due);
    $(cd).textContent = on ? formatCountdown(left) : clock === "first_response" && ticket.acknowledged_at ? "已签收" : "已停止";
    const state = clockState(ticket, due, warningAt);
    const s = !on ? "stopped" : state === "ok" ? "" : "sla-" + state;
    $(box).className = "timer " + s;
  }
}

async function loadHistory() {
  try {
    const r = await getJson(`/api/v1/tickets/${encodeURIComponent(ticket.id)}/events`);
    $("history").replaceChildren(...r.events.map((e) =>
      el("li", {}, el("span", { class: "at" }, formatLocal(e.at ?? e.at_ms)), " ", HISTORY[e.type] || e.type, e.by ? ` · ${e.by}` : "", e.note ? ` · ${e.note}` : "")));
  } catch (e) { /* the ticket view is what matters */ }
}

// ---- the place picker ----
let searchTimer = null;
$("c-place-q").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("c-place-q").value.trim();
    if (!q) return $("c-place-results").replaceChildren();
    try {
      const r = await getJson("/api/v1/regions?limit=12&q=" + encodeURIComponent(q));
      $("c-place-results").replaceChildren(...r.regions.map((m) =>
        el("button", { role: "option", "data-code": m.code, onclick: () => {
          chosenPlace = m;
          $("c-place").textContent = `${m.full_name}（${m.code}）`;
          $("c-place-results").replaceChildren();
        } }, `${m.full_name}（${levelName(m.code)}）`)));
    } catch (e) { say(e.message, false); }
  }, 200);
});

async function confirm() {
  const extra = { category: $("c-category").value, request_type: $("c-type").value, urgency: $("c-urgency").value };
  if (chosenPlace) extra.region_code = chosenPlace.code;
  const note = $("c-note").value.trim();
  if (note) extra.note = note;
  if (await send("confirm", extra)) { $("c-note").value = ""; showPlace(ticket.region_code, $("place")); }
}
$("btn-confirm").addEventListener("click", confirm);
$("btn-emergency").addEventListener("click", () => {
  const taken = $("e-taken").value.trim();
  send("transfer_emergency", { to: $("e-to").value, ...(taken ? { taken_by: taken } : {}) });
});
document.addEventListener("keydown", (e) => {
  if (!e.altKey || !ticket) return;
  if (e.key === "q" || e.key === "Q") { e.preventDefault(); if (!$("btn-confirm").disabled) confirm(); }
  if (e.key === "e" || e.key === "E") { e.preventDefault(); $("e-taken").focus(); }
});

// ---- loading ----
async function load() {
  const id = params.get("ticket"), call = params.get("call");
  if (!id && !call) throw new Error("请在地址中给出 ?ticket=工单号 或 ?call=Call-ID");
  const t = await getJson(id ? `/api/v1/tickets/${encodeURIComponent(id)}` : `/api/v1/calls/${encodeURIComponent(call)}`);
  show(t);
  loadHistory();
}

listen({
  state: (up) => { $("conn").textContent = up ? "实时连接" : "连接中断，正在重连…"; $("conn").classList.toggle("down", !up); },
  hello: (h) => { warningAt = h.warning_at ?? warningAt; },
  resync: () => ticket && getJson(`/api/v1/tickets/${encodeURIComponent(ticket.id)}`).then(show).catch(() => {}),
  ticket: (type, t) => {
    if (!ticket || t.id !== ticket.id) return;
    show(t);
    loadHistory();
  },
});
load().catch((e) => { $("load-error").textContent = "无法打开工单：" + e.message; $("load-error").hidden = false; });
setInterval(tick, 1000);
