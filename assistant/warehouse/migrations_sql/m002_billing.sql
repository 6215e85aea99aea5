-- FOCUS billing lines (1.0 - 1.3 column union), snake_case of the FOCUS names.
-- Money is DECIMAL(38,12): exporters write up to 11 decimals (micro-cent lines) and
-- sums must reconcile to the cent. Columns a file does not have stay NULL; columns
-- outside the FOCUS spec (x_*, provider extras such as the sample's `Id`) are kept in
-- `extra_columns` as JSON, and Tags as JSON, so nothing in the file is lost.
-- billed_cost / effective_cost are nullable on purpose: the spec forbids nulls there, but
-- real exports have them, and the importer keeps such rows (reporting them as findings)
-- rather than inventing a zero. SUM() skips them; the ingest report counts them.
CREATE TABLE billing_lines (
    ingest_id                      VARCHAR NOT NULL,
    source_file                    VARCHAR NOT NULL,
    source_row                     BIGINT NOT NULL,        -- 1-based data row in the file
    focus_version                  VARCHAR,
    allocated_method_details       JSON,                   -- FOCUS 1.3
    allocated_method_id            VARCHAR,                -- FOCUS 1.3
    allocated_resource_id          VARCHAR,                -- FOCUS 1.3
    allocated_resource_name        VARCHAR,                -- FOCUS 1.3
    allocated_tags                 JSON,                   -- FOCUS 1.3
    availability_zone              VARCHAR,
    billed_cost                    DECIMAL(38,12),
    billing_account_id             VARCHAR,
    billing_account_name           VARCHAR,
    billing_account_type           VARCHAR,
    billing_currency               VARCHAR,
    billing_period_end             TIMESTAMP,
    billing_period_start           TIMESTAMP,
    capacity_reservation_id        VARCHAR,
    capacity_reservation_status    VARCHAR,
    charge_category                VARCHAR,
    charge_class                   VARCHAR,
    charge_description             VARCHAR,
    charge_frequency               VARCHAR,
    charge_period_end              TIMESTAMP NOT NULL,
    charge_period_start            TIMESTAMP NOT NULL,
    commitment_discount_category   VARCHAR,
    commitment_discount_id         VARCHAR,
    commitment_discount_name       VARCHAR,
    commitment_discount_quantity   DECIMAL(38,12),
    commitment_discount_status     VARCHAR,
    commitment_discount_type       VARCHAR,
    commitment_discount_unit       VARCHAR,
    consumed_quantity              DECIMAL(38,12),
    consumed_unit                  VARCHAR,
    contract_applied               JSON,                   -- FOCUS 1.3
    contracted_cost                DECIMAL(38,12),
    contracted_unit_price          DECIMAL(38,12),
    effective_cost                 DECIMAL(38,12),
    host_provider_name             VARCHAR,                -- FOCUS 1.3
    invoice_id                     VARCHAR,
    invoice_issuer_name            VARCHAR,
    list_cost                      DECIMAL(38,12),
    list_unit_price                DECIMAL(38,12),
    pricing_category               VARCHAR,
    pricing_currency               VARCHAR,
    pricing_currency_contracted_unit_price DECIMAL(38,12),
    pricing_currency_effective_cost        DECIMAL(38,12),
    pricing_currency_list_unit_price       DECIMAL(38,12),
    pricing_quantity               DECIMAL(38,12),
    pricing_unit                   VARCHAR,
    provider_name                  VARCHAR,
    publisher_name                 VARCHAR,
    region_id                      VARCHAR,
    region_name                    VARCHAR,
    resource_id                    VARCHAR,
    resource_name                  VARCHAR,
    resource_type                  VARCHAR,
    service_category               VARCHAR,
    service_name                   VARCHAR,
    service_provider_name          VARCHAR,                -- FOCUS 1.3 (replaces provider_name)
    service_subcategory            VARCHAR,
    sku_id                         VARCHAR,
    sku_meter                      VARCHAR,
    sku_price_details              JSON,
    sku_price_id                   VARCHAR,
    sub_account_id                 VARCHAR,
    sub_account_name               VARCHAR,
    sub_account_type               VARCHAR,
    tags                           JSON,
    extra_columns                  JSON
);
-- Re-ingesting a restated bill deletes by (provider, account, billing period).
CREATE INDEX billing_lines_period ON billing_lines (billing_period_start);
