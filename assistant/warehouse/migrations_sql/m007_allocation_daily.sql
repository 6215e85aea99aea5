-- Daily rollups: what 30-day readers need, materialised when allocating (issue 16).
--
-- The readers' `allocations` view is split into its three parts so the writer can read
-- the same rows (the writer's `allocations` is the table of stored rows):
--   allocation_workload_rows  container-hours costed by allocation_container_costs,
--   allocation_idle_rows      idle per node-hour, one row per resource,
--   main.allocations          the stored rows (PV and LB shares, unallocated).
-- `allocate` sums those rows per UTC day into allocation_daily, in its own transaction,
-- for every day it touched (assistant/allocation/rollups.py); readers whose window holds
-- whole built days read them there and the other hours from the view
-- (assistant/costs/rollup_source.py). Sums of DECIMAL(38,12) are exact, so a day's rollup
-- and its hours give the same money to the last stored place.

CREATE VIEW allocation_workload_rows AS
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
      AND g.container = x.container AND g.hour = x.hour;

CREATE VIEW allocation_idle_rows AS
SELECT i.run_id, i.cluster, i.hour, 'idle' AS kind, i.node, '__idle__' AS namespace,
       '__idle__' AS pod, CAST(NULL AS VARCHAR) AS container,
       CAST(NULL AS VARCHAR) AS controller_kind, CAST(NULL AS VARCHAR) AS controller_name,
       '__idle__' AS team, CAST(NULL AS VARCHAR) AS app, CAST(NULL AS VARCHAR) AS env,
       CAST(NULL AS VARCHAR) AS cost_center, i.service_name, r.resource,
       CAST(NULL AS DOUBLE) AS cpu_request_cores, CAST(NULL AS DOUBLE) AS cpu_usage_cores,
       CAST(NULL AS DOUBLE) AS cpu_core_hours, CAST(NULL AS DOUBLE) AS ram_request_bytes,
       CAST(NULL AS DOUBLE) AS ram_usage_bytes, CAST(NULL AS DOUBLE) AS ram_gib_hours,
       CAST(NULL AS DOUBLE) AS gpu_request, CAST(NULL AS DOUBLE) AS gpu_hours,
       CAST(NULL AS DOUBLE) AS gpu_util_pct, CAST(NULL AS DOUBLE) AS pv_gib_hours,
       CASE r.resource WHEN 'cpu' THEN i.cpu_cost ELSE 0 END AS cpu_cost,
       CASE r.resource WHEN 'ram' THEN i.ram_cost ELSE 0 END AS ram_cost,
       CASE r.resource WHEN 'gpu' THEN i.gpu_cost ELSE 0 END AS gpu_cost,
       CAST(0 AS DECIMAL(38,12)) AS pv_cost, CAST(0 AS DECIMAL(38,12)) AS lb_cost,
       CAST(0 AS DECIMAL(38,12)) AS network_cost, CAST(0 AS DECIMAL(38,12)) AS other_cost,
       CASE r.resource WHEN 'cpu' THEN i.cpu_cost WHEN 'ram' THEN i.ram_cost
                       ELSE i.gpu_cost END AS total_cost,
       CASE r.resource WHEN 'cpu' THEN i.billed_cpu_cost ELSE 0 END AS billed_cpu_cost,
       CASE r.resource WHEN 'ram' THEN i.billed_ram_cost ELSE 0 END AS billed_ram_cost,
       CASE r.resource WHEN 'gpu' THEN i.billed_gpu_cost ELSE 0 END AS billed_gpu_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_pv_cost, CAST(0 AS DECIMAL(38,12)) AS billed_lb_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_network_cost,
       CAST(0 AS DECIMAL(38,12)) AS billed_other_cost,
       CASE r.resource WHEN 'cpu' THEN i.billed_cpu_cost WHEN 'ram' THEN i.billed_ram_cost
                       ELSE i.billed_gpu_cost END AS billed_total_cost,
       CAST(NULL AS DOUBLE) AS cpu_efficiency, CAST(NULL AS DOUBLE) AS ram_efficiency,
       i.price_source
FROM main.allocation_idle i
CROSS JOIN (VALUES ('cpu'), ('ram'), ('gpu')) r(resource)
WHERE r.resource <> 'gpu' OR i.gpu_row;

-- What readers query as `allocations`: the same rows as before, now from the parts.
CREATE OR REPLACE VIEW allocation_view.allocations AS
SELECT * FROM main.allocation_workload_rows
UNION ALL
SELECT * FROM main.allocation_idle_rows
UNION ALL
SELECT * FROM main.allocations;

-- One row per UTC day and everything a 30-day reader groups or filters by (the columns of
-- `allocations` with the same names, so the costs/dimensions.py expressions apply): the
-- sums of its hours' quantities and money, both bases, and the cost of CPU and RAM used
-- (the efficiency numerator, rollups.USED_SQL).
CREATE TABLE allocation_daily (
    cluster              VARCHAR NOT NULL,
    day_start            TIMESTAMP NOT NULL,  -- the day's first hour (UTC)
    kind                 VARCHAR NOT NULL,
    node                 VARCHAR,
    namespace            VARCHAR,
    pod                  VARCHAR,
    container            VARCHAR,
    controller_kind      VARCHAR,
    controller_name      VARCHAR,
    team                 VARCHAR,
    app                  VARCHAR,
    env                  VARCHAR,
    cost_center          VARCHAR,
    service_name         VARCHAR,
    resource             VARCHAR,
    price_source         VARCHAR,
    hours                BIGINT NOT NULL,     -- hourly rows summed
    first_hour           TIMESTAMP NOT NULL,  -- the first and last hour of those rows
    last_hour            TIMESTAMP NOT NULL,
    cpu_core_hours       DOUBLE,
    ram_gib_hours        DOUBLE,
    gpu_hours            DOUBLE,
    pv_gib_hours         DOUBLE,
    cpu_cost             DECIMAL(38,12) NOT NULL,
    ram_cost             DECIMAL(38,12) NOT NULL,
    gpu_cost             DECIMAL(38,12) NOT NULL,
    pv_cost              DECIMAL(38,12) NOT NULL,
    lb_cost              DECIMAL(38,12) NOT NULL,
    network_cost         DECIMAL(38,12) NOT NULL,
    other_cost           DECIMAL(38,12) NOT NULL,
    total_cost           DECIMAL(38,12) NOT NULL,
    billed_cpu_cost      DECIMAL(38,12) NOT NULL,
    billed_ram_cost      DECIMAL(38,12) NOT NULL,
    billed_gpu_cost      DECIMAL(38,12) NOT NULL,
    billed_pv_cost       DECIMAL(38,12) NOT NULL,
    billed_lb_cost       DECIMAL(38,12) NOT NULL,
    billed_network_cost  DECIMAL(38,12) NOT NULL,
    billed_other_cost    DECIMAL(38,12) NOT NULL,
    billed_total_cost    DECIMAL(38,12) NOT NULL,
    used_cost            DOUBLE,              -- amortized cost of CPU+RAM used
    billed_used_cost     DOUBLE               -- invoice basis
);

-- The days allocation_daily holds, each rebuilt whole by the allocation that touched it.
-- A day absent here (allocated before this step, or rows written by hand) is read from
-- the hours.
CREATE TABLE allocation_rollup_days (
    day_start  TIMESTAMP NOT NULL,
    run_id     VARCHAR NOT NULL
);
