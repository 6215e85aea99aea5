-- Allocation output (written by `penny allocate`). Amortized cost (from EffectiveCost)
-- and invoice cost (from BilledCost) are kept side by side. For every hour:
--   Σ total_cost over all rows (workload + idle + unallocated) = Σ prorated EffectiveCost
--   Σ billed_total_cost likewise                                = Σ prorated BilledCost
-- Sharing (share_idle, shared namespaces, overheads) is applied at query time and the
-- output says which sharing was used; this table holds the unshared facts.

-- Per node and hour: the node's cost and OpenCost-ratio unit prices.
CREATE TABLE node_cost_hours (
    run_id             VARCHAR NOT NULL,
    cluster            VARCHAR NOT NULL,
    node               VARCHAR NOT NULL,
    hour               TIMESTAMP NOT NULL,
    price_source       VARCHAR NOT NULL,      -- bill | price_list | default
    node_cost          DECIMAL(38,12) NOT NULL, -- amortized (EffectiveCost)
    node_billed_cost   DECIMAL(38,12) NOT NULL, -- invoice (BilledCost)
    cpu_cores          DOUBLE,
    ram_gib            DOUBLE,
    gpu_count          DOUBLE,
    cpu_price          DOUBLE,                -- $ per core-hour (amortized)
    ram_price          DOUBLE,                -- $ per GiB-hour
    gpu_price          DOUBLE,                -- $ per GPU-hour
    capacity_type      VARCHAR,               -- on-demand | spot
    instance_type      VARCHAR,
    PRIMARY KEY (cluster, node, hour)
);

CREATE TABLE allocations (
    run_id               VARCHAR NOT NULL,
    cluster              VARCHAR NOT NULL,
    hour                 TIMESTAMP NOT NULL,
    kind                 VARCHAR NOT NULL,    -- workload | idle | unallocated
                                              -- (workload rows with container NULL carry a
                                              -- pod's PV or load-balancer cost)
    node                 VARCHAR,             -- idle rows: the node; unallocated: NULL
    namespace            VARCHAR,             -- '__idle__' / '__unallocated__' on those rows
    pod                  VARCHAR,             -- '__unmounted__' for PV time with no pod
    container            VARCHAR,
    controller_kind      VARCHAR,
    controller_name      VARCHAR,
    team                 VARCHAR,             -- '__unlabeled__' when no mapping matched
    app                  VARCHAR,
    env                  VARCHAR,
    cost_center          VARCHAR,
    service_name         VARCHAR,             -- bill ServiceName behind the cost ('estimate' if none)
    resource             VARCHAR,             -- idle: cpu|ram|gpu; pod rows: pv|lb; unallocated: ChargeCategory
    cpu_request_cores    DOUBLE,
    cpu_usage_cores      DOUBLE,
    cpu_core_hours       DOUBLE,              -- max(request, usage) x running hours
    ram_request_bytes    DOUBLE,
    ram_usage_bytes      DOUBLE,
    ram_gib_hours        DOUBLE,
    gpu_request          DOUBLE,
    gpu_hours            DOUBLE,
    gpu_util_pct         DOUBLE,              -- recorded, not billed
    pv_gib_hours         DOUBLE,
    cpu_cost             DECIMAL(38,12) NOT NULL DEFAULT 0,
    ram_cost             DECIMAL(38,12) NOT NULL DEFAULT 0,
    gpu_cost             DECIMAL(38,12) NOT NULL DEFAULT 0,
    pv_cost              DECIMAL(38,12) NOT NULL DEFAULT 0,
    lb_cost              DECIMAL(38,12) NOT NULL DEFAULT 0,
    network_cost         DECIMAL(38,12) NOT NULL DEFAULT 0,
    other_cost           DECIMAL(38,12) NOT NULL DEFAULT 0, -- unallocated bill lines
    total_cost           DECIMAL(38,12) NOT NULL,           -- amortized
    billed_cpu_cost      DECIMAL(38,12) NOT NULL DEFAULT 0, -- invoice view, per resource
    billed_ram_cost      DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_gpu_cost      DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_pv_cost       DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_lb_cost       DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_network_cost  DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_other_cost    DECIMAL(38,12) NOT NULL DEFAULT 0,
    billed_total_cost    DECIMAL(38,12) NOT NULL,           -- invoice view
    cpu_efficiency       DOUBLE,              -- usage / request over the hour
    ram_efficiency       DOUBLE,
    price_source         VARCHAR              -- bill | price_list | default (the last two are
                                              -- estimates: not on the bill, not reconciled)
);
-- No index on hour: DuckDB zone maps serve the range scans, and an ART index made each
-- allocation run ~40% slower to write.
