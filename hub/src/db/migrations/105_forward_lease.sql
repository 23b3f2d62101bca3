-- Cheaper claims (issue 6 benchmark). Two per-record costs go:
-- 1. Claiming no longer writes: the worker leases the rows it sends in memory (ForwardOutbox), so a
--    claim is one read. A lease needs no durability: a process that dies mid-batch leaves its rows
--    open (due_ms set), and the next start sends them again; the province answers `duplicate`,
--    which counts as delivered. `in-flight` is therefore no longer written; rows an older release
--    left in flight are open again here. (The CHECK keeps the value: changing it would mean
--    rebuilding the table.)
-- 2. Outbox rows point at their payload by rowid (payload_id), so a claim reads the pre-rendered
--    record template through the integer key instead of the text rating_id index.
UPDATE forward_outbox SET state = 'pending' WHERE state = 'in-flight';
ALTER TABLE forward_outbox ADD COLUMN payload_id INTEGER;
UPDATE forward_outbox SET payload_id = (SELECT p.id FROM forward_payloads p WHERE p.rating_id = forward_outbox.rating_id);
