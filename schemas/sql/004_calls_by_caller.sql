-- assistline store, version 4. A call is its Call-ID *and* the number it came from: a Call-ID is unique
-- per call (RFC 3261 §8.1.1.4), so the same one from a second number is another call (a broken or hostile
-- peer) with its own ticket, and must never show one caller another's case. Version 3 keyed `calls` by the
-- Call-ID alone and linked such a second call as "<call-id> from <number>"; those keys are split back into
-- their Call-ID and number here (a hand contact's "hand <contact_id>" too: its id holds no space). The
-- callers are put in the form the call path now keys them by (normalize_number) by the store's code
-- right after this file, in the same transaction. WITHOUT ROWID: the key is the row.
CREATE TABLE calls_by_caller (
  call_id TEXT NOT NULL,
  caller TEXT NOT NULL DEFAULT '',
  ticket_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (call_id, caller)
) WITHOUT ROWID;
INSERT OR IGNORE INTO calls_by_caller (call_id, caller, ticket_id, at)
  SELECT CASE
           WHEN length(call_id) > length(' from ' || caller)
                AND substr(call_id, -length(' from ' || caller)) = ' from ' || caller
             THEN substr(call_id, 1, length(call_id) - length(' from ' || caller))
           ELSE call_id
         END,
         caller, ticket_id, at
  FROM calls ORDER BY at, rowid;
DROP TABLE calls;
ALTER TABLE calls_by_caller RENAME TO calls;
CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller, at);
