-- Penny's own model calls and imported OpenAI/Anthropic usage, priced as cost lines.
CREATE TABLE ai_usage (
    request_id            VARCHAR NOT NULL,
    ts                    TIMESTAMP NOT NULL,   -- UTC
    source                VARCHAR NOT NULL,     -- penny | openai-import | anthropic-import
    provider              VARCHAR NOT NULL,     -- openai | anthropic | openai-compatible
    model                 VARCHAR NOT NULL,
    user_id               VARCHAR,
    channel               VARCHAR,              -- cli | web | slack | eval | import
    thread_id             VARCHAR,
    question_id           VARCHAR,
    team                  VARCHAR,              -- attributed team ('__unlabeled__' if unknown)
    input_tokens          BIGINT,               -- total prompt tokens, cached included
    cached_input_tokens   BIGINT,
    cache_write_tokens    BIGINT,
    output_tokens         BIGINT,               -- reasoning included
    reasoning_tokens      BIGINT,
    cost                  DECIMAL(38,12),       -- NULL when the model has no price (never 0)
    price_version         VARCHAR,
    latency_ms            DOUBLE,
    tools                 JSON,
    warning               VARCHAR,
    ingest_id             VARCHAR,
    project               VARCHAR,              -- imports: OpenAI project_id / Anthropic workspace_id
    line_item             VARCHAR               -- imports: OpenAI line_item / Anthropic description
);
CREATE INDEX ai_usage_ts ON ai_usage (ts);

-- One row per question answered (any engine), with the full turn for `penny logs`.
CREATE TABLE conversations (
    question_id   VARCHAR PRIMARY KEY,
    ts            TIMESTAMP NOT NULL,
    thread_id     VARCHAR,
    user_id       VARCHAR,
    channel       VARCHAR,
    engine        VARCHAR NOT NULL,     -- offline | llm
    model         VARCHAR,
    question      VARCHAR,              -- NULL when audit_questions is off
    answer        VARCHAR,
    tool_calls    JSON,
    duration_ms   DOUBLE,
    cost          DECIMAL(38,12),
    error         VARCHAR
);
