-- Usage counters per workload (settings.units), for unit costs: cost per request, per
-- token, per transaction. One row per cluster, workload, unit and hour: the counter's
-- increase in that hour (resets handled), summed over the workload's series.
CREATE TABLE unit_usage_hours (
    cluster    VARCHAR NOT NULL,
    namespace  VARCHAR NOT NULL,
    workload   VARCHAR NOT NULL,   -- controller name, as in allocations.controller_name
    unit       VARCHAR NOT NULL,   -- request | token | transaction | …
    metric     VARCHAR NOT NULL,   -- the Prometheus counter it came from
    hour       TIMESTAMP NOT NULL,
    quantity   DOUBLE NOT NULL,
    ingest_id  VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, workload, unit, hour)
);
