// The server's clock, as the pages see it: every `hello` and ticket event carries server_time; the offset
// (server minus browser) is kept so countdowns tick in the browser and stay in step with the daemon.
let offsetMs = 0;

/** Records one reading of the server's clock (RFC 3339). The newest reading wins. */
export function syncServerTime(rfc3339) {
  const t = Date.parse(rfc3339);
  if (!Number.isNaN(t)) offsetMs = t - Date.now();
}
export const serverNow = () => Date.now() + offsetMs;
export const clockOffsetMs = () => offsetMs;

/** Whole seconds left until `rfc3339` by the server's clock (negative once past). */
export function secondsUntil(rfc3339) {
  return Math.floor((Date.parse(rfc3339) - serverNow()) / 1000);
}

/** 3725 -> "1:02:05", 754 -> "12:34", -75 -> "-01:15" (H:MM:SS from an hour, MM:SS under it). */
export function formatCountdown(seconds) {
  const neg = seconds < 0;
  let s = Math.abs(Math.trunc(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const two = (n) => String(n).padStart(2, "0");
  return (neg ? "-" : "") + (h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`);
}

/** Beijing time of an RFC 3339 instant (or epoch milliseconds): "11-29 14:05:09". */
export function formatLocal(when) {
  if (when == null || when === "") return "—";
  const ms = typeof when === "number" ? when : Date.parse(when);
  if (Number.isNaN(ms)) return "—";
  const d = new Date(ms + 8 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
