-- Every ingest or allocation run, so each stored row can name where it came from.
CREATE TABLE ingest_log (
    ingest_id     VARCHAR PRIMARY KEY,      -- uuid4 hex
    kind          VARCHAR NOT NULL,         -- focus | prometheus | openmetrics | ai-usage-openai | ai-usage-anthropic | allocate | snapshot
    source        VARCHAR NOT NULL,         -- file paths, URL, or query description
    started_at    TIMESTAMP NOT NULL,       -- UTC
    finished_at   TIMESTAMP,
    rows_written  BIGINT,
    window_start  TIMESTAMP,                -- UTC, half-open [start, end) of the data covered
    window_end    TIMESTAMP,
    status        VARCHAR NOT NULL,         -- ok | failed
    details       JSON                      -- findings (quirks), replaced periods, params
);
