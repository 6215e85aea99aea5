-- What `penny sync` knows per source: its watermark, per-object versions, last outcome.
CREATE TABLE sync_sources (
    source           TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,     -- prometheus | bill | ai
    watermark        TSTEXT,            -- data is complete before this (UTC)
    state            TEXT,              -- JSON: export manifest/object -> ETag
    last_attempt_at  TSTEXT,
    last_success_at  TSTEXT,
    last_error       TEXT,
    last_error_at    TSTEXT,
    rows_total       INTEGER NOT NULL DEFAULT 0
);

-- Hours whose data changed and whose allocation is still to be recomputed.
CREATE TABLE sync_pending_allocation (
    start      TSTEXT NOT NULL,
    "end"      TSTEXT NOT NULL,
    source     TEXT NOT NULL,
    added_at   TSTEXT NOT NULL
);

-- Every scheduled slot a job claimed: a slot runs at most once, across restarts.
CREATE TABLE job_runs (
    job          TEXT NOT NULL,
    slot         TSTEXT NOT NULL,
    status       TEXT NOT NULL,         -- running | ok | failed | interrupted
    started_at   TSTEXT NOT NULL,
    finished_at  TSTEXT,
    detail       TEXT,
    error        TEXT,
    pid          INTEGER,
    PRIMARY KEY (job, slot)
);
