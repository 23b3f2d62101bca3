-- The non-personal record of a rating as JSON text, mapped once when it is queued (issue 6), and
-- the fingerprint of the profile it was mapped with: sending needs no parsing or mapping unless
-- the profile changed since (then the worker maps again from source + context).
ALTER TABLE forward_payloads ADD COLUMN record TEXT;
ALTER TABLE forward_payloads ADD COLUMN record_profile TEXT;
