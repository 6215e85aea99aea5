-- Allocation records, per hour, a fingerprint of the bill lines it saw (row count and XOR of
-- line hashes over the lines whose prorated hours include that hour), beside the metrics
-- fingerprint: a restated bill or new lines for allocated hours make those hours stale
-- (assistant/allocation/freshness.py). Hours allocated before this step have 0/0 and are
-- reported stale once, until `penny allocate` runs again.
ALTER TABLE allocation_hours ADD COLUMN bill_rows BIGINT DEFAULT 0;
ALTER TABLE allocation_hours ADD COLUMN bill_hash UBIGINT DEFAULT 0;
