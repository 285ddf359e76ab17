-- assistline store, version 5. A caller's tickets are found through their calls (calls_caller), which every
-- ticket has from its first call on (TicketService::open_in links it): the index of tickets by caller was a
-- second B-tree keyed by the caller's number, written on a leaf of its own for every new caller's call.
DROP INDEX IF EXISTS tickets_caller;
