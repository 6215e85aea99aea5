-- Penny's own model calls and imported OpenAI/Anthropic usage, priced as cost lines.
-- SQLite: times are TSTEXT ('YYYY-MM-DD HH:MM:SS.ffffff', UTC, sortable as text) and money
-- is DECTEXT (the exact decimal as text; summed with decimal_sum(), never as a float).
CREATE TABLE ai_usage (
    request_id            TEXT NOT NULL,
    ts                    TSTEXT NOT NULL,
    source                TEXT NOT NULL,     -- penny | openai-import | anthropic-import | *-api
    provider              TEXT NOT NULL,     -- openai | anthropic | openai-compatible
    model                 TEXT NOT NULL,
    user_id               TEXT,
    channel               TEXT,              -- cli | web | slack | eval | import
    thread_id             TEXT,
    question_id           TEXT,
    team                  TEXT,              -- attributed team ('__unlabeled__' if unknown)
    input_tokens          INTEGER,           -- total prompt tokens, cached included
    cached_input_tokens   INTEGER,
    cache_write_tokens    INTEGER,
    output_tokens         INTEGER,           -- reasoning included
    reasoning_tokens      INTEGER,
    cost                  DECTEXT,           -- NULL when the model has no price (never 0)
    price_version         TEXT,
    latency_ms            REAL,
    tools                 TEXT,              -- JSON
    warning               TEXT,
    ingest_id             TEXT,
    project               TEXT,              -- imports: OpenAI project_id / Anthropic workspace_id
    line_item             TEXT               -- imports: OpenAI line_item / Anthropic description
);
CREATE INDEX ai_usage_ts ON ai_usage (ts);
CREATE INDEX ai_usage_question ON ai_usage (question_id);

-- One row per question answered (any engine), with the full turn for `penny logs`.
CREATE TABLE conversations (
    question_id   TEXT PRIMARY KEY,
    ts            TSTEXT NOT NULL,
    thread_id     TEXT,
    user_id       TEXT,
    channel       TEXT,
    engine        TEXT NOT NULL,     -- offline | llm
    model         TEXT,
    question      TEXT,              -- NULL when audit_questions is off
    answer        TEXT,
    tool_calls    TEXT,              -- JSON
    duration_ms   REAL,
    cost          DECTEXT,
    error         TEXT
);
CREATE INDEX conversations_thread ON conversations (thread_id, ts);
