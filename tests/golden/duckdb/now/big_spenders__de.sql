-- audience big_spenders | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 7776000000000 AS "as_of_minus_7776000s",
    "now"."as_of" - 31536000000000 AS "as_of_minus_31536000s"
  FROM (
    SELECT
      EPOCH_US(CURRENT_TIMESTAMP) AS "as_of"
  ) AS "now"
), "profiles" AS (
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
      EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_7776000s") AS "sum_purchase_revenue_1",
    MAX("src"."umsatz") AS "max_purchase_revenue_2"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0) > 0
    AND COALESCE(SUM("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0) > 40 * COALESCE(COUNT("src"."umsatz") FILTER(WHERE
      "src"."kanal" COLLATE "binary" = 'web'), 0)
    AND NOT MIN("src"."umsatz") FILTER(WHERE
      EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_31536000s") IS NULL
    AND MIN("src"."umsatz") FILTER(WHERE
      EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_31536000s") >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND EPOCH_US("src"."geaendert_am") <= "params"."as_of"
    AND "src"."zweck" COLLATE "binary" = 'werbung'
    AND EPOCH_US("src"."geaendert_am") >= "params"."as_of_minus_31536000s"
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
    "ev_purchase"."max_purchase_revenue_2" AS "max_purchase_revenue_2",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_7776000s" AS "as_of_minus_7776000s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
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
