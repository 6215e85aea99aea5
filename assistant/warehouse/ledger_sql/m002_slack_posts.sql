-- Every notice Penny posted (or is posting) unasked: one row per kind, key and channel,
-- so a digest, a closed bill or an alert is posted once, across restarts.
CREATE TABLE slack_posts (
    kind        VARCHAR NOT NULL,     -- digest | bill | anomaly | budget
    key         VARCHAR NOT NULL,     -- the week, the month, the anomaly, the threshold
    channel     VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,     -- posting | posted | failed | skipped
    ts          VARCHAR,              -- the message's Slack ts (its thread)
    claimed_at  TIMESTAMP NOT NULL,   -- UTC
    posted_at   TIMESTAMP,
    attempts    INTEGER NOT NULL,
    error       VARCHAR,
    summary     VARCHAR,              -- the notification text, for the record
    PRIMARY KEY (kind, key, channel)
);
