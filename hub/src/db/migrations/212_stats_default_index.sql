-- Statistics and exports (issue 7) select default ratings by time range. Where a province makes
-- default ratings they can outnumber citizens' ratings, so the range is read through an index on
-- the payload's givenAt, only over default-rating payloads (same expression as hub/src/stats/sql.ts).
CREATE INDEX forward_payloads_default_at ON forward_payloads (strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(source, '$.givenAt')), rating_id)
  WHERE json_extract(source, '$.origin') = 'default';
-- and from a default rating's payload to its decision (the session it stands for)
CREATE INDEX forward_default_decisions_rating ON forward_default_decisions (rating_id) WHERE rating_id IS NOT NULL;
