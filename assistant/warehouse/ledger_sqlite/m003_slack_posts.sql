-- Every notice Penny posted (or is posting) unasked: one row per kind, key and channel,
-- so a digest, a closed bill or an alert is posted once, across restarts.
CREATE TABLE slack_posts (
    kind        TEXT NOT NULL,        -- digest | bill | anomaly | budget
    key         TEXT NOT NULL,        -- the week, the month, the anomaly, the threshold
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,        -- posting | posted | failed | skipped
    ts          TEXT,                 -- the message's Slack ts (its thread)
    claimed_at  TSTEXT NOT NULL,      -- UTC
    posted_at   TSTEXT,
    attempts    INTEGER NOT NULL,
    error       TEXT,
    summary     TEXT,                 -- the notification text, for the record
    PRIMARY KEY (kind, key, channel)
);
