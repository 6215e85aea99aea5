-- Allocation output (written by `penny allocate`). Amortized cost (from EffectiveCost)
-- and invoice cost (from BilledCost) are kept side by side. For every hour:
--   Σ total_cost over all rows (workload + idle + unallocated) = Σ prorated EffectiveCost
--   Σ billed_total_cost likewise                                = Σ prorated BilledCost
-- Sharing (share_idle, shared namespaces, overheads) is applied at query time and the
-- output says which sharing was used; these relations hold the unshared facts.
--
-- Container rows are not stored: like OpenCost, they are computed when read, from
-- container_hours and the unit prices allocation fixed (allocation_node_prices), by the
-- view allocation_container_costs. Readers (read-only connections) see `allocations` as
-- the view allocation_view.allocations = those container rows UNION ALL the stored rows
-- of the table `allocations` (idle, unallocated, PV and load-balancer shares); writers
-- see the table. Idle is node cost − Σ of the same view, so the identity
-- workload + idle + unallocated = bill holds to the cent by construction.

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

-- Unit prices the container view multiplies by, per node-hour (both bases).
CREATE TABLE allocation_node_prices (
    cluster        VARCHAR NOT NULL,
    node           VARCHAR NOT NULL,
    hour           TIMESTAMP NOT NULL,
    price_source   VARCHAR NOT NULL,
    service_name   VARCHAR NOT NULL,      -- bill ServiceName of the node line ('estimate' if none)
    cpu_price      DOUBLE NOT NULL,       -- $ per core-hour (amortized)
    ram_price      DOUBLE NOT NULL,
    gpu_price      DOUBLE NOT NULL,
    b_cpu_price    DOUBLE NOT NULL,       -- invoice basis
    b_ram_price    DOUBLE NOT NULL,
    b_gpu_price    DOUBLE NOT NULL,
    PRIMARY KEY (cluster, node, hour)
);

-- The hours allocation covered, by which run, with the fallback prices for containers on
-- nodes that have no node-hour, and a fingerprint of the metrics rows it saw (row count and
-- XOR of row hashes over container_hours and node_hours) to detect re-ingested metrics.
CREATE TABLE allocation_hours (
    hour                TIMESTAMP NOT NULL,
    run_id              VARCHAR NOT NULL,
    fallback_source     VARCHAR NOT NULL,  -- price_list | default
    fallback_cpu_price  DOUBLE NOT NULL,
    fallback_ram_price  DOUBLE NOT NULL,
    fallback_gpu_price  DOUBLE NOT NULL,
    metrics_rows        BIGINT NOT NULL,
    metrics_hash        UBIGINT NOT NULL,
    PRIMARY KEY (hour)
);

-- Idle per node-hour = node cost − Σ container costs (the view's), per resource and basis;
-- unclamped. The allocations view shows it as rows with namespace '__idle__'.
CREATE TABLE allocation_idle (
    run_id           VARCHAR NOT NULL,
    cluster          VARCHAR NOT NULL,
    node             VARCHAR NOT NULL,
    hour             TIMESTAMP NOT NULL,
    price_source     VARCHAR NOT NULL,
    service_name     VARCHAR NOT NULL,
    gpu_row          BOOLEAN NOT NULL,      -- show a GPU idle row (GPU cost or GPU idle non-zero)
    cpu_cost         DECIMAL(38,12) NOT NULL,
    ram_cost         DECIMAL(38,12) NOT NULL,
    gpu_cost         DECIMAL(38,12) NOT NULL,
    billed_cpu_cost  DECIMAL(38,12) NOT NULL,
    billed_ram_cost  DECIMAL(38,12) NOT NULL,
    billed_gpu_cost  DECIMAL(38,12) NOT NULL
);

-- Per pod: controller (rolled up) and team/app/env/cost-center, resolved once per pod.
CREATE TABLE allocation_pods (
    cluster          VARCHAR NOT NULL,
    namespace        VARCHAR NOT NULL,
    pod              VARCHAR NOT NULL,
    controller_kind  VARCHAR,
    controller_name  VARCHAR,
    team             VARCHAR,
    app              VARCHAR,
    env              VARCHAR,
    cost_center      VARCHAR,
    PRIMARY KEY (cluster, namespace, pod)
);

-- The one container cost expression: quantity = max(request, usage) x running hours,
-- cost = CAST(quantity x unit price AS DECIMAL(38,12)). Allocation sums this view per
-- node-hour for idle; the allocations view reads it for workload rows.
CREATE VIEW allocation_container_costs AS
WITH q AS (
    SELECT h.run_id, c.cluster, c.hour, c.node, c.namespace, c.pod, c.container,
           c.cpu_request_cores, c.cpu_usage_cores, c.ram_request_bytes, c.ram_usage_bytes,
           c.gpu_request,
           greatest(coalesce(c.cpu_request_cores, 0), coalesce(c.cpu_usage_cores, 0))
               * c.running_hours AS cpu_core_hours,
           greatest(coalesce(c.ram_request_bytes, 0), coalesce(c.ram_usage_bytes, 0))
               / 1073741824.0 * c.running_hours AS ram_gib_hours,
           coalesce(c.gpu_request, 0) * c.running_hours AS gpu_hours,
           p.price_source AS node_price_source,
           coalesce(p.price_source, h.fallback_source) AS price_source,
           coalesce(p.service_name, 'estimate') AS service_name,
           coalesce(p.cpu_price, h.fallback_cpu_price) AS pc,
           coalesce(p.ram_price, h.fallback_ram_price) AS pr,
           coalesce(p.gpu_price, h.fallback_gpu_price) AS pg,
           coalesce(p.b_cpu_price, h.fallback_cpu_price) AS bpc,
           coalesce(p.b_ram_price, h.fallback_ram_price) AS bpr,
           coalesce(p.b_gpu_price, h.fallback_gpu_price) AS bpg
    FROM main.container_hours c
    JOIN main.allocation_hours h ON h.hour = c.hour
    LEFT JOIN main.allocation_node_prices p
           ON p.cluster = c.cluster AND p.node = c.node AND p.hour = c.hour
)
SELECT run_id, cluster, hour, node, namespace, pod, container, cpu_request_cores,
       cpu_usage_cores, ram_request_bytes, ram_usage_bytes, gpu_request, cpu_core_hours,
       ram_gib_hours, gpu_hours, node_price_source, price_source, service_name,
       CAST(cpu_core_hours * pc AS DECIMAL(38,12)) AS cpu_cost,
       CAST(ram_gib_hours * pr AS DECIMAL(38,12)) AS ram_cost,
       CAST(gpu_hours * pg AS DECIMAL(38,12)) AS gpu_cost,
       CAST(cpu_core_hours * bpc AS DECIMAL(38,12)) AS billed_cpu_cost,
       CAST(ram_gib_hours * bpr AS DECIMAL(38,12)) AS billed_ram_cost,
       CAST(gpu_hours * bpg AS DECIMAL(38,12)) AS billed_gpu_cost
FROM q;

CREATE SCHEMA allocation_view;

-- What readers query as `allocations`: the same columns, in the table's order.
CREATE VIEW allocation_view.allocations AS
SELECT x.run_id, x.cluster, x.hour, 'workload' AS kind, x.node, x.namespace, x.pod,
       x.container, d.controller_kind, d.controller_name, d.team, d.app, d.env,
       d.cost_center, x.service_name, CAST(NULL AS VARCHAR) AS resource,
       x.cpu_request_cores, x.cpu_usage_cores, x.cpu_core_hours, x.ram_request_bytes,
       x.ram_usage_bytes, x.ram_gib_hours, x.gpu_request, x.gpu_hours, g.util AS gpu_util_pct,
       CAST(NULL AS DOUBLE) AS pv_gib_hours,
       x.cpu_cost, x.ram_cost, x.gpu_cost,
       CAST(0 AS DECIMAL(38,12)) AS pv_cost, CAST(0 AS DECIMAL(38,12)) AS lb_cost,
       CAST(0 AS DECIMAL(38,12)) AS network_cost, CAST(0 AS DECIMAL(38,12)) AS other_cost,
       x.cpu_cost + x.ram_cost + x.gpu_cost AS total_cost,
       x.billed_cpu_cost, x.billed_ram_cost, x.billed_gpu_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_pv_cost, CAST(0 AS DECIMAL(38,12)) AS billed_lb_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_network_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_other_cost,
       x.billed_cpu_cost + x.billed_ram_cost + x.billed_gpu_cost AS billed_total_cost,
       x.cpu_usage_cores / nullif(x.cpu_request_cores, 0) AS cpu_efficiency,
       x.ram_usage_bytes / nullif(x.ram_request_bytes, 0) AS ram_efficiency,
       x.price_source
FROM main.allocation_container_costs x
LEFT JOIN main.allocation_pods d
       ON d.cluster = x.cluster AND d.namespace = x.namespace AND d.pod = x.pod
LEFT JOIN (SELECT cluster, namespace, pod, container, hour, avg(util_pct) AS util
           FROM main.gpu_hours WHERE pod IS NOT NULL GROUP BY ALL) g
       ON g.cluster = x.cluster AND g.namespace = x.namespace AND g.pod = x.pod
      AND g.container = x.container AND g.hour = x.hour
UNION ALL
SELECT i.run_id, i.cluster, i.hour, 'idle', i.node, '__idle__', '__idle__',
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), '__idle__',
       CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), i.service_name,
       r.resource, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
       CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
       CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
       CASE r.resource WHEN 'cpu' THEN i.cpu_cost ELSE 0 END,
       CASE r.resource WHEN 'ram' THEN i.ram_cost ELSE 0 END,
       CASE r.resource WHEN 'gpu' THEN i.gpu_cost ELSE 0 END,
       CAST(0 AS DECIMAL(38,12)), CAST(0 AS DECIMAL(38,12)), CAST(0 AS DECIMAL(38,12)),
       CAST(0 AS DECIMAL(38,12)),
       CASE r.resource WHEN 'cpu' THEN i.cpu_cost WHEN 'ram' THEN i.ram_cost
                       ELSE i.gpu_cost END,
       CASE r.resource WHEN 'cpu' THEN i.billed_cpu_cost ELSE 0 END,
       CASE r.resource WHEN 'ram' THEN i.billed_ram_cost ELSE 0 END,
       CASE r.resource WHEN 'gpu' THEN i.billed_gpu_cost ELSE 0 END,
       CAST(0 AS DECIMAL(38,12)), CAST(0 AS DECIMAL(38,12)), CAST(0 AS DECIMAL(38,12)),
       CAST(0 AS DECIMAL(38,12)),
       CASE r.resource WHEN 'cpu' THEN i.billed_cpu_cost WHEN 'ram' THEN i.billed_ram_cost
                       ELSE i.billed_gpu_cost END,
       CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), i.price_source
FROM main.allocation_idle i
CROSS JOIN (VALUES ('cpu'), ('ram'), ('gpu')) r(resource)
WHERE r.resource <> 'gpu' OR i.gpu_row
UNION ALL
SELECT * FROM main.allocations;
