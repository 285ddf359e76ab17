-- assistline store, version 2 (issue 5). `timer` holds, as one compact line, what the escalation timers
-- need (Ticket timer_fields()): start-up streams it for every open ticket instead of parsing each
-- record. `provisional` marks deadlines computed without a calendar year, recomputed when it arrives.
ALTER TABLE tickets ADD COLUMN timer TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS tickets_provisional ON tickets(provisional, terminal, id) WHERE provisional = 1;
