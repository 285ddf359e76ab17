-- assistline store, version 1. Tickets keep their full record as JSON in `doc`; the columns beside it
-- are what queries filter and sort on. Events are append-only.
CREATE TABLE IF NOT EXISTS tickets (
  id TEXT PRIMARY KEY,
  call_id TEXT NOT NULL DEFAULT '',
  caller TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  urgency TEXT NOT NULL,
  status TEXT NOT NULL,
  terminal INTEGER NOT NULL DEFAULT 0,
  region_code TEXT NOT NULL DEFAULT '',
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_active ON tickets(terminal, id);
CREATE INDEX IF NOT EXISTS tickets_caller ON tickets(caller, category, terminal);

CREATE TABLE IF NOT EXISTS ticket_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id TEXT NOT NULL,
  type TEXT NOT NULL,
  by TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '{}',
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_events_ticket ON ticket_events(ticket_id, seq);

CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  caller TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller, at);

CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  level TEXT NOT NULL,
  reason TEXT NOT NULL,
  notify TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_ticket ON outbox(ticket_id);

CREATE TABLE IF NOT EXISTS sequences (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
