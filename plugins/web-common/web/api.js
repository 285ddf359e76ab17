// The daemon's HTTP API and event stream for the pages: JSON helpers with errors in plain Chinese, and
// an SSE connection that reports hello / ticket events / resync and reconnects with Last-Event-ID.
import { syncServerTime } from "./clock.js";

const ERROR_TEXT = {
  not_allowed: "当前状态下不能执行这个操作",
  invalid_state: "当前状态下不能执行这个操作",
  not_found: "找不到这张工单",
  bad_label: "分类标签无效",
  bad_field: "填写的内容有误",
  bad_json: "请求格式有误",
  store_unavailable: "数据库暂时无法写入，请稍后重试",
  forbidden: "没有权限",
};

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    const plain = ERROR_TEXT[e.code] || (status === 409 ? "当前状态下不能执行这个操作" : "操作失败");
    const allowed = Array.isArray(e.allowed) && e.allowed.length ? e.allowed : null;
    super(`${plain}（${status}${e.message ? "：" + e.message : ""}）`);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
    this.allowed = allowed;
  }
}

export async function getJson(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

export async function postJson(path, data) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

export const TICKET_EVENTS = ["ticket.opened", "ticket.changed", "ticket.warned", "ticket.breached", "ticket.escalated"];

/**
 * Listens to /api/v1/events. handlers: {hello(data), ticket(type, ticket, data), resync(), state(connected)}.
 * EventSource reconnects by itself with Last-Event-ID; if it gives up (closed), a new one is opened with
 * the last id in the query so the daemon still replays what was missed.
 */
export function listen(handlers) {
  let lastId = "";
  let es = null;
  const open = () => {
    es = new EventSource("/api/v1/events" + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : ""));
    es.addEventListener("open", () => handlers.state && handlers.state(true));
    es.addEventListener("error", () => {
      handlers.state && handlers.state(false);
      if (es.readyState === EventSource.CLOSED) setTimeout(open, 2000);
    });
    es.addEventListener("hello", (ev) => {
      const d = JSON.parse(ev.data);
      syncServerTime(d.server_time);
      handlers.hello && handlers.hello(d);
    });
    es.addEventListener("resync", () => handlers.resync && handlers.resync());
    for (const type of TICKET_EVENTS) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastId = ev.lastEventId;
        const d = JSON.parse(ev.data);
        syncServerTime(d.server_time);
        handlers.ticket && handlers.ticket(type, d.ticket, d);
      });
    }
  };
  open();
  return { close: () => es && es.close(), lastId: () => lastId };
}

const places = new Map();
/** The place in full for a division code ("呼和浩特市 新城区 海拉尔东路街道"); a code not in the table
 * is named by its nearest known parent with the code after it. Cached; resolves to the code on failure. */
export function placeName(code) {
  if (!code) return Promise.resolve("");
  if (!places.has(code)) {
    const exact = async (c) => {
      const r = await getJson("/api/v1/regions?limit=1&q=" + encodeURIComponent(c));
      return r.regions[0] && r.regions[0].code === c ? r.regions[0].full_name : null;
    };
    places.set(code, (async () => {
      try {
        const own = await exact(code);
        if (own) return own;
        for (const n of [9, 6, 4]) {
          if (code.length <= n) continue;
          const parent = await exact(code.slice(0, n));
          if (parent) return `${parent}（${code}）`;
        }
      } catch (e) { /* the code it is */ }
      return code;
    })());
  }
  return places.get(code);
}

/** Text into an element, never markup. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}
