-- Event ids from a sequence instead of `coalesce(max(event_id), 0) + 1` per mark (issue 17:
-- half of a mark's growth from 3k to 1M students was that max()). Ids are still taken under
-- the store's write lock, so they follow commit order; a write that rolls back after taking
-- an id leaves a gap (DuckDB does not give sequence values back).
CREATE SEQUENCE event_ids START 1;
-- DuckDB's START takes a constant only: draw the ids already used, once.
SELECT count(nextval('event_ids')) FROM range((SELECT coalesce(max(event_id), 0) FROM events));
