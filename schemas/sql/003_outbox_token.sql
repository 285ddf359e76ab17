-- Short links for SMS (/l/<token>): each message's token, looked up when a phone opens the link.
ALTER TABLE outbox ADD COLUMN token TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS outbox_token ON outbox(token);
