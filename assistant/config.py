"""Settings: one validated object from a config file plus ``PENNY_*`` environment variables.

Settings are read at call time (``load_settings()``), never at import time, so tests and
long-running servers see the environment they were started with. Precedence, highest
first: explicit overrides passed in code, environment variables, the config file named by
``PENNY_CONFIG`` (YAML or TOML; default ``$PENNY_HOME/config.yaml`` when it exists),
then defaults. Nested sections use ``__`` in environment names, e.g.
``PENNY_ALLOCATION__SHARE_IDLE=true``. Bolt's own ``SLACK_BOT_TOKEN``,
``SLACK_SIGNING_SECRET`` and ``SLACK_APP_TOKEN`` are read too, below the ``PENNY_SLACK__…``
names and above the file.
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.config_slack import BOLT_ENV_ALIASES, SlackSettings
from assistant.errors import ConfigError

__all__ = [
    "AgentSettings",
    "AllocationSettings",
    "AnomalySettings",
    "Budget",
    "KnowledgeSettings",
    "KubernetesSettings",
    "LabelMapping",
    "RightsizingSettings",
    "ServerSettings",
    "Settings",
    "SlackSettings",
    "SyncSettings",
    "UnitMetric",
    "WarehouseSettings",
    "default_home",
    "load_settings",
]


def default_home() -> Path:
    """Where Penny keeps its warehouse, Chroma index, logs and config."""
    env = os.environ.get("PENNY_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "penny"


class PriceList(BaseModel):
    """Hourly unit prices used when the bill has no line for a node or volume.

    Defaults are OpenCost's default pricing, so Penny's fallback numbers match OpenCost's.
    """

    cpu_core_hour: Decimal = Field(Decimal("0.031611"), ge=0, description="$ per vCPU-hour")
    ram_gib_hour: Decimal = Field(Decimal("0.004237"), ge=0, description="$ per GiB-hour of RAM")
    gpu_hour: Decimal = Field(Decimal("0.95"), ge=0, description="$ per GPU-hour")
    storage_gb_hour: Decimal = Field(
        Decimal("0.00005479452"), ge=0, description="$ per GB-hour of persistent storage"
    )


class LabelMapping(BaseModel):
    """How team/app/env/cost-center are derived from labels, with fallbacks in order."""

    team: list[str] = Field(
        default_factory=lambda: ["pod:team", "pod:app.kubernetes.io/team", "namespace:team"],
        description="Label sources tried in order: 'pod:KEY' or 'namespace:KEY'",
    )
    app: list[str] = Field(
        default_factory=lambda: ["pod:app.kubernetes.io/name", "pod:app"],
        description="Label sources for the app dimension",
    )
    env: list[str] = Field(
        default_factory=lambda: ["pod:env", "pod:environment", "namespace:env"],
        description="Label sources for the environment dimension",
    )
    cost_center: list[str] = Field(
        default_factory=lambda: ["pod:cost-center", "namespace:cost-center"],
        description="Label sources for the cost-center dimension",
    )
    namespace_rules: dict[str, str] = Field(
        default_factory=dict,
        description="Glob on namespace name -> team, tried after labels ('payments-*': payments)",
    )

    @field_validator("team", "app", "env", "cost_center")
    @classmethod
    def _check_sources(cls, value: list[str]) -> list[str]:
        for src in value:
            scope, _, key = src.partition(":")
            if scope not in {"pod", "namespace"} or not key:
                raise ValueError(
                    f"label source {src!r} must look like 'pod:KEY' or 'namespace:KEY'"
                )
        return value


class AllocationSettings(BaseModel):
    share_idle: bool = Field(False, description="Spread idle cost over workloads by resource cost")
    shared_namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces whose cost is spread over the other groups (e.g. kube-system)",
    )
    shared_labels: dict[str, str] = Field(
        default_factory=dict, description="label=value pairs whose cost is spread like shared ns"
    )
    share_split: Literal["weighted", "even"] = Field(
        "weighted", description="Spread shared cost by each group's cost, or evenly"
    )
    fixed_overhead_hourly: Decimal = Field(
        Decimal("0"), ge=0, description="Fixed $/hour overhead spread over groups (e.g. tooling)"
    )
    prices: PriceList = Field(default_factory=PriceList)
    default_prices: PriceList = Field(
        default_factory=PriceList,
        description="Prices used for OpenCost's ratio split of a node's bill cost",
    )
    labels: LabelMapping = Field(default_factory=LabelMapping)
    memory_limit_mb: int = Field(
        1024,
        ge=256,
        le=1_048_576,
        description="DuckDB memory limit while allocating, MB (it spills to disk beyond; "
        "a month of 100k pods needs more than the default: docs/benchmarks.md)",
    )


class AgentSettings(BaseModel):
    model: str | None = Field(
        None, description="'provider:model' (openai:gpt-4o-mini, anthropic:…); unset = offline"
    )
    base_url: str | None = Field(None, description="OpenAI-compatible server (Ollama, vLLM)")
    api_key: SecretStr | None = Field(None, description="Overrides the provider SDK's own key")
    max_model_calls: int = Field(8, ge=1, le=50, description="Model calls per question")
    max_tool_calls: int = Field(12, ge=1, le=100, description="Tool calls per question")
    request_timeout_s: float = Field(60.0, gt=0, le=600, description="Per model request")
    monthly_budget_usd: Decimal = Field(
        Decimal("50"), ge=0, description="Penny's own AI spend per calendar month; 0 = no LLM"
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature")
    project_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Imported AI spend: OpenAI project id / Anthropic workspace or API key id "
        "-> team",
    )


class RightsizingSettings(BaseModel):
    strategy: str = Field("simple", description="Default recommendation strategy by name")
    min_history_hours: int = Field(24, ge=1, description="Less history -> 'not enough data'")
    cpu_percentile: float = Field(95.0, gt=0, le=100, description="CPU request percentile")
    memory_buffer: float = Field(1.15, ge=1, le=3, description="Memory = max x buffer")
    min_cpu_cores: float = Field(0.01, gt=0, description="Smallest CPU request proposed")
    min_memory_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="Smallest memory request proposed"
    )
    gpu_idle_threshold_pct: float = Field(
        5.0, ge=0, le=100, description="GPU activity below this percent counts as idle"
    )
    gpu_idle_min_hours: int = Field(4, ge=1, description="Idle this long before reported")


class AnomalySettings(BaseModel):
    window_days: int = Field(30, ge=7, le=400, description="Baseline history in days")
    threshold_mads: float = Field(4.0, gt=0, description="Deviation in robust MADs")
    min_impact_usd: Decimal = Field(
        Decimal("25"), ge=0, description="Smaller $ deviations are not reported"
    )


class Budget(BaseModel):
    """A monthly budget for the whole bill, one team or one namespace."""

    scope: str = Field(
        "total",
        description="'total' (the whole bill, amortized), 'team:NAME' or 'namespace:NAME'",
    )
    monthly: Decimal = Field(ge=0, description="Amount per calendar month, in the bill currency")
    name: str | None = Field(None, description="How answers name it; default from the scope")
    note: str | None = Field(
        None, description="Free text shown beside it, e.g. a currency or who owns it"
    )

    @field_validator("scope")
    @classmethod
    def _check_scope(cls, value: str) -> str:
        kind, _, name = value.strip().partition(":")
        if value.strip() == "total":
            return "total"
        if kind not in {"team", "namespace"} or not name.strip():
            raise ValueError(
                f"budget scope {value!r} must be 'total', 'team:NAME' or 'namespace:NAME'"
            )
        return f"{kind}:{name.strip()}"

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return "total" if self.scope == "total" else self.scope.replace(":", " ", 1)


class UnitMetric(BaseModel):
    """A usage counter per workload, so cost can be divided by what the workload served."""

    unit: str = Field(
        description="What one count is, singular: 'request', 'token', 'job', 'message'"
    )
    metric: str = Field(
        description="Prometheus counter name (monotonic), e.g. http_requests_total",
        pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$",
    )
    namespace: str = Field(description="The workload's namespace")
    workload: str = Field(description="Controller name, e.g. checkout-api")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Label matchers selecting the workload's series, e.g. {service: checkout-api}",
    )


class ApiToken(BaseModel):
    sha256: str = Field(description="sha256 hex of the bearer token (never the token itself)")
    user: str
    scope: list[str] = Field(
        default_factory=lambda: ["*"], description="teams/namespaces ('team:x', 'ns:y') or '*'"
    )
    rate_per_minute: int = Field(60, ge=1)


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address `penny serve` binds")
    port: int = Field(8000, ge=1, le=65535, description="Port `penny serve` listens on")
    tokens: list[ApiToken] = Field(
        default_factory=list, description="Bearer tokens (sha256, user, scope, rate)"
    )
    audit_questions: bool = Field(True, description="Keep question text in the audit log")
    max_message_chars: int = Field(
        4000, ge=1, le=100_000, description="Longest chat message accepted"
    )


class KnowledgeSettings(BaseModel):
    """Embeddings and the Chroma index behind search_knowledge and entity resolution."""

    embeddings: Literal["local", "openai"] = Field(
        "local", description="'local' = bundled int8 MiniLM on onnxruntime (offline); 'openai'"
    )
    openai_model: str = Field("text-embedding-3-small", description="OpenAI embedding model")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible embeddings server")
    docs_dir: Path | None = Field(
        None, description="Knowledge docs to index; default the ones shipped in the package"
    )
    min_semantic_score: float = Field(
        0.25, ge=0, le=1, description="Cosine similarity below which a semantic match is dropped"
    )
    filter_floor: float = Field(
        0.36,
        ge=0,
        le=1,
        description="Offline engine: a semantic name match below this is only said to the "
        "asker as a weak reading, never used as a filter (calibrated on the demo)",
    )


class KubernetesSettings(BaseModel):
    """How cluster_state and `penny snapshot` reach the Kubernetes API."""

    kubeconfig: Path | None = Field(None, description="Kubeconfig file; default $KUBECONFIG")
    context: str | None = Field(None, description="Kubeconfig context; default current")
    cluster: str | None = Field(None, description="Cluster name recorded in snapshots")
    request_timeout_s: float = Field(5.0, gt=0, le=120, description="Per API request")


class PrometheusSource(BaseModel):
    """A cluster's Prometheus that `penny sync` reads, up to the last complete hour."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Source id (watermarks)")
    cluster: str = Field(min_length=1, description="Cluster name stored with the metrics")
    url: str = Field(pattern=r"^https?://", description="Prometheus base URL")
    bearer_token: SecretStr | None = Field(None, description="Bearer token (e.g. a SA token)")
    basic_user: str | None = Field(None, description="Basic auth user")
    basic_password: SecretStr | None = Field(None, description="Basic auth password")
    ca_file: Path | None = Field(None, description="CA bundle to verify the server")
    cert_file: Path | None = Field(None, description="Client certificate (mTLS)")
    key_file: Path | None = Field(None, description="Client key (mTLS)")
    step: str = Field("5m", description="Query resolution")
    backfill_hours: int = Field(72, ge=1, le=24 * 400, description="First sync reaches back")
    chunk_hours: int = Field(24, ge=1, le=744, description="Hours per committed step")


class BillSource(BaseModel):
    """A FOCUS export location: s3://, az://, abfs://, gs:// or a local folder."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Source id (watermarks)")
    url: str = Field(min_length=1, description="Export prefix, manifest or folder")


class AiSource(BaseModel):
    """An AI provider's admin API: OpenAI organization costs, Anthropic cost report."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Source id (watermarks)")
    provider: Literal["openai", "anthropic"]
    admin_key: SecretStr = Field(description="Admin API key (sk-admin-…)")
    base_url: str | None = Field(None, description="API base URL; default the provider's")
    backfill_days: int = Field(31, ge=1, le=400, description="First sync reaches back")
    restate_days: int = Field(2, ge=0, le=31, description="Recent days pulled again each sync")


class SyncSettings(BaseModel):
    """Sources `penny sync` pulls and `penny serve` keeps current on a schedule."""

    prometheus: list[PrometheusSource] = Field(
        default_factory=list,
        description="Prometheus per cluster: name, cluster, url, bearer_token or "
        "basic_user/basic_password or ca_file/cert_file/key_file, step, backfill_hours, "
        "chunk_hours",
    )
    bills: list[BillSource] = Field(
        default_factory=list,
        description="FOCUS export locations: name, url (s3://, az://, abfs://, gs:// or a folder)",
    )
    ai: list[AiSource] = Field(
        default_factory=list,
        description="AI admin APIs: name, provider (openai|anthropic), admin_key, base_url, "
        "backfill_days, restate_days",
    )
    interval_minutes: int = Field(60, ge=1, le=24 * 60, description="How often serve syncs")
    schedule: bool = Field(True, description="Run the scheduler inside `penny serve`")


class WarehouseSettings(BaseModel):
    """Which engine allocates and answers cost queries, and where the Spark lake lives."""

    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="duckdb (this machine's file) or spark (the Parquet lake)"
    )
    lake: str | None = Field(
        None,
        description="Lake root for the Spark engine (a folder, hdfs://, s3a://, abfss://, "
        "gs://); default $PENNY_HOME/lake",
    )
    spark_master: str = Field(
        "local[*]",
        min_length=1,
        description="Spark master URL: local[*], spark://host:7077, yarn, k8s://…",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark settings (e.g. executor memory)"
    )


class Settings(BaseSettings):
    """Everything configurable. Every field has a default, bounds and a description."""

    model_config = SettingsConfigDict(
        env_prefix="PENNY_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(default_factory=default_home, description="Penny's data directory")
    db: Path | None = Field(None, description="DuckDB file; default $PENNY_HOME/penny.duckdb")
    config: Path | None = Field(None, description="Config file (YAML or TOML)")
    currency: str = Field("USD", min_length=3, max_length=3, description="ISO 4217 bill code")
    query_time_limit_ms: int = Field(
        5000, ge=10, le=600_000, description="Time limit for one read-only SQL query"
    )
    max_rows: int = Field(1000, ge=1, le=1_000_000, description="Row cap for one SQL result")
    max_result_bytes: int = Field(
        1_000_000,
        ge=1_000,
        le=100_000_000,
        description="Byte cap for one run_sql result (values as shown), beside the row cap",
    )
    query_memory_limit_mb: int = Field(
        1024,
        ge=64,
        le=65_536,
        description="Memory limit for one run_sql query (its own process; DuckDB and the "
        "values it builds)",
    )
    ledger_busy_timeout_s: float = Field(
        30.0,
        gt=0,
        le=600,
        description="How long a ledger write waits for another process's write (SQLite)",
    )
    warehouse_wait_s: float = Field(
        1800.0,
        gt=0,
        le=86_400,
        description="How long a write waits for another writer of the warehouse to finish",
    )
    model: str | None = Field(None, description="Shortcut for agent.model (PENNY_MODEL)")
    now: datetime | None = Field(
        None, description="Pin 'now' (UTC) for reproducible relative windows: demos, tests, evals"
    )
    allocation: AllocationSettings = Field(default_factory=AllocationSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    rightsizing: RightsizingSettings = Field(default_factory=RightsizingSettings)
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    budgets: list[Budget] = Field(
        default_factory=list,
        description="Monthly budgets (total, per team, per namespace): "
        "penny ask 'are we over budget?', budget_status",
    )
    units: list[UnitMetric] = Field(
        default_factory=list,
        description="Usage counters per workload for unit costs (cost per request, per token)",
    )
    sync: SyncSettings = Field(default_factory=SyncSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)

    @field_validator("budgets")
    @classmethod
    def _distinct_budgets(cls, value: list[Budget]) -> list[Budget]:
        """Each budget must be nameable on its own: answers, alerts and "Details" find a
        budget by its name or scope, so two unnamed budgets of one scope (or two of one
        name) would be one budget to every reader, and one's alerts would silence the
        other's."""
        seen: dict[str, int] = {}
        for i, b in enumerate(value):
            label = b.label.lower()
            if label in seen:
                raise ValueError(
                    f"budgets {seen[label]} and {i} are both called {b.label!r}: give each "
                    "budget of one scope its own name (name: ...)"
                )
            seen[label] = i
        return value

    @property
    def db_path(self) -> Path:
        return self.db if self.db is not None else self.home / "penny.duckdb"

    @property
    def lake_root(self) -> str:
        """The Spark engine's lake: ``warehouse.lake`` or ``$PENNY_HOME/lake``."""
        return self.warehouse.lake or str(self.home / "lake")

    def current_time(self) -> datetime:
        """Naive UTC 'now' truncated to the hour, honouring the ``now`` pin."""
        value = self.now or datetime.now(UTC)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(minute=0, second=0, microsecond=0)

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def llm_model(self) -> str | None:
        return self.model or self.agent.model

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Bolt's own names (SLACK_BOT_TOKEN, …) rank below PENNY_SLACK__… and above the file
        return (
            init_settings,
            env_settings,
            _BoltEnvSource(settings_cls),
            _FileSource(settings_cls),
        )


class _BoltEnvSource(PydanticBaseSettingsSource):
    """``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_APP_TOKEN``: the names
    Bolt's own examples and most Slack set-ups already export, as ``slack.*`` aliases."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {
            key: os.environ[env] for key, env in BOLT_ENV_ALIASES.items() if os.environ.get(env)
        }
        return {"slack": found} if found else {}


class _FileSource(PydanticBaseSettingsSource):
    """Reads the YAML/TOML file named by PENNY_CONFIG (or $PENNY_HOME/config.yaml)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _config_path()
        return read_config_file(path) if path else {}


def _config_path() -> Path | None:
    explicit = os.environ.get("PENNY_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"PENNY_CONFIG points at {path}, which is not a file.",
                hint="Create it or unset PENNY_CONFIG.",
                path=str(path),
            )
        return path
    candidate = default_home() / "config.yaml"
    return candidate if candidate.is_file() else None


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a config file; a syntax error names the file and what the parser said."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}", path=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"Config file {path} must hold a mapping at the top level, not {type(data).__name__}.",
            path=str(path),
        )
    return data


def load_settings(**overrides: Any) -> Settings:
    """Build settings now, from overrides > environment > config file > defaults.

    Every invalid value becomes one ConfigError listing each bad setting, its value and
    what is allowed, e.g. ``agent.max_tool_calls = 0: Input should be greater than or
    equal to 1``.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            value = err.get("input")
            shown = "" if isinstance(value, dict) else f" = {value!r}"
            lines.append(f"  {loc}{shown}: {err['msg']}")
        raise ConfigError(
            "Invalid settings:\n" + "\n".join(lines),
            hint="Fix the config file (PENNY_CONFIG) or the PENNY_* environment variables.",
            errors=[f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()],
        ) from exc
