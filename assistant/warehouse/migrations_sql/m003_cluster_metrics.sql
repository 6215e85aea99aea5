-- Cluster inventory and hourly usage from Prometheus (kube-state-metrics, cAdvisor, DCGM).
-- Every table is keyed by cluster; `hour` is the UTC start of a half-open hour
-- [hour, hour + 1h). Quantities are averages over the hour's samples unless named
-- *_max; running_hours is the fraction of the hour the object was observed running.

CREATE TABLE k8s_nodes (
    cluster        VARCHAR NOT NULL,
    node           VARCHAR NOT NULL,
    provider_id    VARCHAR,          -- aws:///us-east-1a/i-0abc…, gce://proj/zone/name, azure:///subscriptions/…
    instance_id    VARCHAR,          -- parsed from provider_id; joins billing_lines.resource_id
    instance_type  VARCHAR,
    region         VARCHAR,
    zone           VARCHAR,
    capacity_type  VARCHAR,          -- on-demand | spot (from node labels)
    labels         JSON,
    first_seen     TIMESTAMP,
    last_seen      TIMESTAMP,
    ingest_id      VARCHAR NOT NULL,
    PRIMARY KEY (cluster, node)
);

CREATE TABLE node_hours (
    cluster        VARCHAR NOT NULL,
    node           VARCHAR NOT NULL,
    hour           TIMESTAMP NOT NULL,
    running_hours  DOUBLE NOT NULL,  -- 0..1
    cpu_cores      DOUBLE,           -- capacity
    ram_bytes      DOUBLE,
    gpu_count      DOUBLE,
    ingest_id      VARCHAR NOT NULL,
    PRIMARY KEY (cluster, node, hour)
);

CREATE TABLE k8s_namespaces (
    cluster    VARCHAR NOT NULL,
    namespace  VARCHAR NOT NULL,
    labels     JSON,
    first_seen TIMESTAMP,
    last_seen  TIMESTAMP,
    ingest_id  VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace)
);

-- Ownership edges: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, etc.
CREATE TABLE k8s_owners (
    cluster     VARCHAR NOT NULL,
    namespace   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,     -- ReplicaSet | Job | Pod
    name        VARCHAR NOT NULL,
    owner_kind  VARCHAR NOT NULL,
    owner_name  VARCHAR NOT NULL,
    ingest_id   VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, kind, name)
);

CREATE TABLE k8s_pods (
    cluster          VARCHAR NOT NULL,
    namespace        VARCHAR NOT NULL,
    pod              VARCHAR NOT NULL,
    uid              VARCHAR,
    node             VARCHAR,
    owner_kind       VARCHAR,        -- direct owner (ReplicaSet, Job, StatefulSet, DaemonSet, …)
    owner_name       VARCHAR,
    controller_kind  VARCHAR,        -- rolled up: Deployment, CronJob, StatefulSet, …; NULL for bare pods
    controller_name  VARCHAR,
    labels           JSON,           -- original label keys (label_ prefix and sanitising undone where known)
    first_seen       TIMESTAMP,
    last_seen        TIMESTAMP,
    ingest_id        VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, pod)
);

CREATE TABLE container_hours (
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
    ingest_id             VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, pod, container, hour)
);

CREATE TABLE k8s_pvs (
    cluster         VARCHAR NOT NULL,
    pv              VARCHAR NOT NULL,
    volume_id       VARCHAR,         -- EBS vol-…, CSI volume handle, GCE disk; joins billing_lines.resource_id
    storage_class   VARCHAR,
    capacity_bytes  DOUBLE,
    ingest_id       VARCHAR NOT NULL,
    PRIMARY KEY (cluster, pv)
);

CREATE TABLE pvc_hours (
    cluster          VARCHAR NOT NULL,
    namespace        VARCHAR NOT NULL,
    pvc              VARCHAR NOT NULL,
    pv               VARCHAR,
    storage_class    VARCHAR,
    hour             TIMESTAMP NOT NULL,
    running_hours    DOUBLE NOT NULL,
    requested_bytes  DOUBLE,
    ingest_id        VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, pvc, hour)
);

-- Which pod mounts which PVC during an hour (kube_pod_spec_volumes_persistentvolumeclaims_info).
CREATE TABLE pod_pvc_hours (
    cluster        VARCHAR NOT NULL,
    namespace      VARCHAR NOT NULL,
    pod            VARCHAR NOT NULL,
    pvc            VARCHAR NOT NULL,
    hour           TIMESTAMP NOT NULL,
    running_hours  DOUBLE NOT NULL,
    ingest_id      VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, pod, pvc, hour)
);

-- LoadBalancer services and the pods behind them (endpoint slices), per hour.
CREATE TABLE service_hours (
    cluster        VARCHAR NOT NULL,
    namespace      VARCHAR NOT NULL,
    service        VARCHAR NOT NULL,
    service_type   VARCHAR,
    lb_ingress     VARCHAR,          -- hostname/IP of the cloud load balancer
    hour           TIMESTAMP NOT NULL,
    running_hours  DOUBLE NOT NULL,
    ingest_id      VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, service, hour)
);

CREATE TABLE service_pod_hours (
    cluster        VARCHAR NOT NULL,
    namespace      VARCHAR NOT NULL,
    service        VARCHAR NOT NULL,
    pod            VARCHAR NOT NULL,
    hour           TIMESTAMP NOT NULL,
    running_hours  DOUBLE NOT NULL,
    ingest_id      VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, service, pod, hour)
);

-- DCGM per physical GPU (or MIG instance), pod and hour. One row per
-- (cluster, node, gpu, namespace, pod, container, hour): a time-sliced GPU serves
-- several pods in one hour, and an idle GPU has no pod (NULLs), so there is no
-- primary key; the metrics ingest replaces whole hours, so rows are never duplicated.
CREATE TABLE gpu_hours (
    cluster              VARCHAR NOT NULL,
    node                 VARCHAR NOT NULL,
    gpu                  VARCHAR NOT NULL,   -- device index or UUID
    model                VARCHAR,            -- modelName, e.g. NVIDIA A100-SXM4-40GB
    mig_profile          VARCHAR,            -- e.g. 1g.5gb; NULL for a whole GPU
    gpu_share            DOUBLE NOT NULL DEFAULT 1.0, -- fraction of the physical GPU (MIG/time-slice)
    namespace            VARCHAR,
    pod                  VARCHAR,
    container            VARCHAR,
    hour                 TIMESTAMP NOT NULL,
    samples              INTEGER,
    util_pct             DOUBLE,             -- DCGM_FI_DEV_GPU_UTIL avg, 0..100
    util_max_pct         DOUBLE,
    engine_active        DOUBLE,             -- DCGM_FI_PROF_GR_ENGINE_ACTIVE avg, 0..1
    fb_used_bytes        DOUBLE,             -- DCGM_FI_DEV_FB_USED (MiB in DCGM, stored as bytes)
    power_watts          DOUBLE,
    ingest_id            VARCHAR NOT NULL
);

CREATE TABLE k8s_hpas (
    cluster              VARCHAR NOT NULL,
    namespace            VARCHAR NOT NULL,
    hpa                  VARCHAR NOT NULL,
    target_kind          VARCHAR,
    target_name          VARCHAR,
    min_replicas         INTEGER,
    max_replicas         INTEGER,
    metric_name          VARCHAR,            -- cpu | memory | other
    target_utilization   DOUBLE,             -- percent of request
    last_seen            TIMESTAMP,
    ingest_id            VARCHAR NOT NULL,
    PRIMARY KEY (cluster, namespace, hpa)
);

-- Point-in-time cluster state from the Kubernetes API (cluster_state's fallback).
CREATE TABLE cluster_snapshots (
    snapshot_id  VARCHAR NOT NULL,
    cluster      VARCHAR NOT NULL,
    taken_at     TIMESTAMP NOT NULL,
    kind         VARCHAR NOT NULL,   -- Node | Pod | Deployment | HorizontalPodAutoscaler | …
    namespace    VARCHAR,
    name         VARCHAR NOT NULL,
    object       JSON NOT NULL,      -- trimmed object: metadata, spec resources, status
    ingest_id    VARCHAR NOT NULL
);
