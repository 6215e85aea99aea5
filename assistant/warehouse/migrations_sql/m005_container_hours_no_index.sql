-- container_hours without its primary key.
-- Why: one ingest writes a cluster's window in one transaction, and DuckDB keeps a primary
-- key's index in memory while it grows. At 20k pods x 30 days (14.4M rows) that index alone
-- outgrew the ingest writer's memory limit (Out of Memory at 768 MB, where the same inserts
-- without the key peak at 211 MB), so a month of a large cluster could not be ingested.
-- Ingest deletes a cluster's hours before writing them and checks the rows it wrote are
-- unique per (cluster, namespace, pod, container, hour) before it commits
-- (ingest/metrics/store.py), so the key's guarantee holds without the index.
CREATE TABLE container_hours_m005 (
    cluster               VARCHAR NOT NULL,
    namespace             VARCHAR NOT NULL,
    pod                   VARCHAR NOT NULL,
    container             VARCHAR NOT NULL,
    node                  VARCHAR,
    hour                  TIMESTAMP NOT NULL,
    running_hours         DOUBLE NOT NULL,   -- 0..1
    cpu_request_cores     DOUBLE,            -- NULL = no request (counts as 0 for cost)
    cpu_limit_cores       DOUBLE,
    cpu_usage_cores       DOUBLE,            -- avg rate of container_cpu_usage_seconds_total
    cpu_usage_max_cores   DOUBLE,
    ram_request_bytes     DOUBLE,
    ram_limit_bytes       DOUBLE,
    ram_usage_bytes       DOUBLE,            -- avg container_memory_working_set_bytes
    ram_usage_max_bytes   DOUBLE,
    gpu_request           DOUBLE,            -- nvidia.com/gpu (fractional for MIG/time-slicing shares)
    restarts              INTEGER,
    oom_kills             INTEGER,
    ingest_id             VARCHAR NOT NULL
);

INSERT INTO container_hours_m005 SELECT * FROM container_hours;
DROP TABLE container_hours;
ALTER TABLE container_hours_m005 RENAME TO container_hours;
