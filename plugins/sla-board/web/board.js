// SLA 监控大屏: every open ticket, least time left first, with countdowns that tick in the browser in step
// with the server's clock; updates through /api/v1/events (SSE) without reloading.
import { getJson, listen, el, placeName } from "/common/api.js";
import { CATEGORY, REQUEST_TYPE, URGENCY, STATUS, FLAG, LEVEL, label } from "/common/labels.js";
import { formatCountdown, formatLocal, serverNow } from "/common/clock.js";
import { isTerminal, nextClock, slaState } from "/common/sla.js";

const params = new URLSearchParams(location.search);
const wall = params.get("wall") === "1";
if (wall) document.body.classList.add("wall");

const tickets = new Map();  // id -> API ticket object
const regionNames = new Map();  // code -> full name ("" while asked)
let warningAt = 0.8;
let loaded = false;

const $ = (id) => document.getElementById(id);
const filters = { region: $("f-region"), urgency: $("f-urgency"), category: $("f-category"), unconfirmed: $("f-unconfirmed") };

for (const [id, name] of Object.entries(URGENCY)) filters.urgency.append(el("option", { value: id }, name));
for (const [id, name] of Object.entries(CATEGORY)) filters.category.append(el("option", { value: id }, name));
for (const f of Object.values(filters)) f.addEventListener("change", render);
const f0 = { region: params.get("region"), urgency: params.get("urgency"), category: params.get("category") };

getJson("/api/v1/regions").then((r) => {
  for (const g of r.regions) filters.region.append(el("option", { value: g.code }, g.name));
  if (f0.region) filters.region.value = f0.region;
}).catch(() => {});
if (f0.urgency) filters.urgency.value = f0.urgency;
if (f0.category) filters.category.value = f0.category;

function placeOf(t) {
  const code = t.region_code || t.region_hint;
  if (!code) return null;
  if (!regionNames.has(code)) {
    regionNames.set(code, "");
    placeName(code).then((name) => { regionNames.set(code, name); render(); });
  }
  return { code, name: regionNames.get(code) || code, hint: !t.region_code };
}

function upsert(t) {
  const old = tickets.get(t.id);
  if (old && old.updated_at && t.updated_at && Date.parse(old.updated_at) > Date.parse(t.updated_at)) return;
  if (isTerminal(t)) tickets.delete(t.id);
  else tickets.set(t.id, t);
}

async function reload() {
  const out = [];
  let cursor = null;
  do {
    const r = await getJson("/api/v1/tickets?limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    out.push(...r.tickets);
    cursor = r.next;
  } while (cursor && out.length < 20000);
  tickets.clear();
  for (const t of out) upsert(t);
  loaded = true;
  render();
}

// The call path's store (GET /api/v1/store): a stall means calls are redirected without ticket ids.
let store = null;
async function loadStore() {
  try {
    store = await getJson("/api/v1/store");
  } catch (e) { store = null; }
  render();
}

async function loadDead() {
  try {
    const r = await getJson("/api/v1/outbox?state=dead");
    const rows = $("dead-rows");
    rows.replaceChildren(...r.messages.map((m) =>
      el("tr", {}, el("td", {}, m.id), el("td", {}, m.ticket_id), el("td", {}, m.kind), el("td", {}, label(LEVEL, m.level)),
        el("td", {}, m.attempts), el("td", {}, m.last_error || ""))));
    $("dead").hidden = r.messages.length === 0;
  } catch (e) { /* shown next time */ }
}

function visible(t) {
  const code = t.region_code || t.region_hint || "";
  if (filters.region.value && !code.startsWith(filters.region.value)) return false;
  if (filters.urgency.value && t.urgency !== filters.urgency.value) return false;
  if (filters.category.value && t.category !== filters.category.value) return false;
  if (filters.unconfirmed.checked && t.confirmed) return false;
  return true;
}

function escalationCell(t) {
  if (!t.escalation_level) return "—";
  const esc = t.escalation || {};
  const acked = ["first_response", "resolution"].some((c) => esc[c] && esc[c].acknowledged);
  return el("span", { class: "tag esc" + (acked ? " acked" : "") },
    `已升级至${label(LEVEL, t.escalation_level)}` + (acked ? " · 已响应" : " · 未响应"));
}

function row(t, now) {
  const next = nextClock(t);
  const state = slaState(t, warningAt);
  const place = placeOf(t);
  const tags = [];
  if (!t.confirmed) tags.push(el("span", { class: "tag unconfirmed" }, "未确认"));
  for (const f of t.flags || []) tags.push(el("span", { class: "tag flag" }, label(FLAG, f)));
  if (t.provisional) tags.push(el("span", { class: "tag prov", title: "缺少该年度工作日历，按工作日（周一至周五）暂定" }, "暂定期限"));
  if (t.dispatch_gap) tags.push(el("span", { class: "tag esc" }, "无承办单位"));
  if (t.call_count > 1) tags.push(el("span", { class: "tag" }, `来电 ${t.call_count} 次`));
  const tr = el("tr", { "data-ticket": t.id, "data-sla": state, class: `sla-${state}` + (t.confirmed ? "" : " unconfirmed") },
    el("td", { class: "left" },
      el("span", { class: "countdown", "data-due": next ? next.due : "" }, next ? formatCountdown(next.left) : "—"),
      el("span", { class: "which" }, next ? (next.clock === "first_response" ? "首次响应" : "办结") + (state === "breached" ? " · 已超时" : state === "warning" ? " · 预警" : "") : "")),
    el("td", { class: "id" }, wall ? t.id : el("a", { href: "/pane/?ticket=" + encodeURIComponent(t.id), target: "_blank" }, t.id)),
    el("td", { class: "urg" }, el("span", { class: `tag urg-${t.urgency}` }, label(URGENCY, t.urgency))),
    el("td", {}, label(CATEGORY, t.category), el("br"), el("small", {}, label(REQUEST_TYPE, t.request_type))),
    el("td", { class: "status" }, label(STATUS, t.status)),
    el("td", {}, place ? place.name + (place.hint ? "（来电地）" : "") : "—"),
    el("td", {}, t.assignee ? t.assignee.name : "—"),
    el("td", { class: "esc" }, escalationCell(t)),
    el("td", {}, tags));
  return { tr, left: next ? next.left : Infinity, state };
}

function render() {
  const now = serverNow();
  $("server-time").textContent = formatLocal(new Date(now).toISOString());
  const all = [...tickets.values()];
  const counts = { total: all.length, breached: 0, warning: 0, unconfirmed: 0 };
  for (const s of Object.keys(STATUS)) counts[s] = 0;
  const rows = [];
  for (const t of all) {
    const r = row(t, now);
    counts[t.status] = (counts[t.status] || 0) + 1;
    if (r.state === "breached") counts.breached++;
    if (r.state === "warning") counts.warning++;
    if (!t.confirmed) counts.unconfirmed++;
    if (visible(t)) rows.push(r);
  }
  rows.sort((a, b) => a.left - b.left);
  $("rows").replaceChildren(...rows.map((r) => r.tr));
  $("empty").hidden = !loaded || rows.length > 0;
  const c = (cls, name, n, key) => el("div", { class: "count " + cls, "data-count": key }, name, el("b", {}, n));
  $("counts").replaceChildren(
    c("", "在办", counts.total, "total"), c("bad", "已超时", counts.breached, "breached"),
    c("warn", "预警", counts.warning, "warning"), c("unc", "未确认", counts.unconfirmed, "unconfirmed"),
    ...["open", "acknowledged", "in_progress", "waiting_on_caller"].map((s) => c("", STATUS[s], counts[s] || 0, s)));
  const alerts = [];
  const prov = all.filter((t) => t.provisional).length;
  if (prov) alerts.push(el("div", { class: "alert" }, `${prov} 张工单的期限为暂定（缺少工作日历年度文件，按周一至周五计算）`));
  if (store && store.stalled) alerts.push(el("div", { class: "alert" },
    `存储停滞：${store.pending_calls} 个来电的工单暂存内存，恢复后写入；这些来电已转接但未带工单号，本实例已对代理报告不可用`));
  const gaps = all.filter((t) => t.dispatch_gap).length;
  if (gaps) alerts.push(el("div", { class: "alert" }, `${gaps} 张工单已确认但未找到承办单位（名录缺口）`));
  $("alerts").replaceChildren(...alerts);
}

listen({
  state: (up) => { $("conn").textContent = up ? "实时连接" : "连接中断，正在重连…"; $("conn").classList.toggle("down", !up); },
  hello: (h) => {
    warningAt = h.warning_at ?? warningAt;
    if (!loaded) reload().catch((e) => console.error(e));
  },
  resync: () => reload().catch((e) => console.error(e)),
  ticket: (type, t) => {
    upsert(t);
    if (type === "ticket.escalated") loadDead();
    render();
  },
});
loadDead();
setInterval(loadDead, 30000);
loadStore();
setInterval(loadStore, 5000);
setInterval(render, 1000);
render();
