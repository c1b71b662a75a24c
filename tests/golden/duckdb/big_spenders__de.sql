-- audience big_spenders | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."treuestufe" AS "t_loyalty_tier",
    "src"."ist_mitarbeiter" AS "t_is_employee"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND "src"."treuestufe" COLLATE "binary" IN ('gold', 'platinum')
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    SUM("src"."umsatz") FILTER(WHERE
      "src"."bestellt_am" >= '2026-08-03 00:00:00.000000+00:00') AS "sum_purchase_revenue_1",
    MAX("src"."umsatz") AS "max_purchase_revenue_2"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0) > 0
    AND COALESCE(SUM("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0) > 40 * COALESCE(COUNT("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0)
    AND NOT MIN("src"."umsatz") FILTER(WHERE
      "src"."bestellt_am" >= '2025-11-01 00:00:00.000000+00:00') IS NULL
    AND MIN("src"."umsatz") FILTER(WHERE
      "src"."bestellt_am" >= '2025-11-01 00:00:00.000000+00:00') >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."zweck" COLLATE "binary" = 'werbung'
    AND "src"."geaendert_am" >= '2025-11-01 00:00:00.000000+00:00'
    AND "src"."status" COLLATE "binary" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
  HAVING
    (
      MAX(
        EPOCH_US("src"."geaendert_am") * 2 + CASE WHEN "src"."status" COLLATE "binary" <> 'erteilt' THEN 1 ELSE 0 END
      ) & 1
    ) = 0
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("ev_purchase"."sum_purchase_revenue_1", 0) AS "sum_purchase_revenue_1",
    "ev_purchase"."max_purchase_revenue_2" AS "max_purchase_revenue_2"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      "sum_purchase_revenue_1" >= 500
      OR (
        NOT "max_purchase_revenue_2" IS NULL AND "max_purchase_revenue_2" > 1000
      )
    )
    AND NOT (
      NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
    )
)
SELECT
  "member_id"
FROM "members"
