// SLA state of a ticket as the board and the pane show it, computed from the due moments and the server's
// clock (the daemon also announces warnings and breaches as SSE events).
import { secondsUntil, serverNow } from "./clock.js";

const TERMINAL = new Set(["resolved", "closed", "cancelled", "merged"]);
export const isTerminal = (t) => TERMINAL.has(t.status);

/** The clocks still running: [{clock, due}] (first response until sign-off; resolution until terminal). */
export function runningClocks(t) {
  if (isTerminal(t)) return [];
  const out = [];
  if (!t.acknowledged_at) out.push({ clock: "first_response", due: t.first_response_due });
  if (t.status !== "waiting_on_caller") out.push({ clock: "resolution", due: t.resolution_due });
  return out;
}

/** The clock with the least time left: {clock, due, left} or null. */
export function nextClock(t) {
  let best = null;
  for (const c of runningClocks(t)) {
    const left = secondsUntil(c.due);
    if (!best || left < best.left) best = { ...c, left };
  }
  return best;
}

/** "breached" | "warning" | "ok" | "done": breached when a running clock is past due; warning past
 * opened_at + warningAt x (due - opened_at), the daemon's warning moment. */
export function slaState(t, warningAt) {
  const clocks = runningClocks(t);
  if (!clocks.length) return "done";
  let state = "ok";
  for (const c of clocks) {
    const due = Date.parse(c.due), opened = Date.parse(t.opened_at);
    if (serverNow() >= due) return "breached";
    if (serverNow() >= opened + (due - opened) * warningAt) state = "warning";
  }
  return state;
}

/** The state of one clock: "breached" past its due moment, "warning" past the warning moment, else "ok". */
export function clockState(t, due, warningAt) {
  const d = Date.parse(due), opened = Date.parse(t.opened_at);
  if (serverNow() >= d) return "breached";
  return serverNow() >= opened + (d - opened) * warningAt ? "warning" : "ok";
}
