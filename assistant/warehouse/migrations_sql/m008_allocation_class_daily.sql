-- Class rollups: what the bill variance groups allocation rows by, per UTC day (issue 16).
--
-- compare_periods (and the bill's month-over-month) splits each workload's, idle's and
-- bill service's cost by node class with quantities, commitment discount and node-hours;
-- read from the hours that is every container-hour of both periods joined to its
-- node-hour. `allocate` sums each day it rebuilds (the days it rebuilds allocation_daily
-- for) into allocation_class_daily, in the same transaction
-- (assistant/allocation/class_rollups.py); the bill reads whole built days there and the
-- other hours from the allocations view (assistant/billing/class_source.py). Every sum is
-- of values cast to DECIMAL(38,12) per row, so days add up to their hours exactly.

CREATE TABLE allocation_class_daily (
    day_start         TIMESTAMP NOT NULL,  -- the day's first hour (UTC)
    cluster           VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,
    namespace         VARCHAR,
    controller_kind   VARCHAR,
    controller_name   VARCHAR,
    pod               VARCHAR,             -- only where no controller names the workload
    team              VARCHAR,
    service_name      VARCHAR,
    resource          VARCHAR,
    node_class        VARCHAR NOT NULL,    -- 'capacity_type instance_type'; '' without node
    bill_priced       BOOLEAN NOT NULL,    -- the row's price came from the bill
    node_bill_priced  BOOLEAN NOT NULL,    -- its node-hour's did
    cpu_q             DECIMAL(38,12),      -- core-hours
    cpu_cost          DECIMAL(38,12),
    ram_q             DECIMAL(38,12),      -- GiB-hours
    ram_cost          DECIMAL(38,12),
    gpu_q             DECIMAL(38,12),      -- GPU-hours
    gpu_cost          DECIMAL(38,12),
    pv_q              DECIMAL(38,12),      -- GiB-hours
    pv_cost           DECIMAL(38,12),
    lb_cost           DECIMAL(38,12),
    network_cost      DECIMAL(38,12),
    other_cost        DECIMAL(38,12),
    total_cost        DECIMAL(38,12),
    node_hours        BIGINT NOT NULL,     -- distinct (node, hour) of the key in the day
    cpu_discount      DECIMAL(38,12),      -- Σ cost × the node-hour's commitment saving ratio
    ram_discount      DECIMAL(38,12),
    gpu_discount      DECIMAL(38,12),
    total_discount    DECIMAL(38,12)
);

-- The days allocation_class_daily holds. A warehouse allocated before this step has none
-- and is read from its hours until the next allocation rebuilds its days.
CREATE TABLE allocation_class_rollup_days (
    day_start  TIMESTAMP NOT NULL,
    run_id     VARCHAR NOT NULL
);
