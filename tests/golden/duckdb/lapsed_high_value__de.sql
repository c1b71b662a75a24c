-- audience lapsed_high_value | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."clv" AS "t_lifetime_value",
    "src"."ist_mitarbeiter" AS "t_is_employee",
    "src"."letzter_login" AS "t_last_login_at"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL AND "src"."clv" >= 500
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."bestellt_am" >= '2026-08-03 00:00:00.000000+00:00') AS "n_purchase_2"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."bestellt_am" >= '2025-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
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
    "profiles"."t_lifetime_value" AS "t_lifetime_value",
    "profiles"."t_is_employee" AS "t_is_employee",
    "profiles"."t_last_login_at" AS "t_last_login_at",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2"
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
    NOT "n_purchase_2" >= 1
    AND NOT (
      (
        NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
      )
      OR (
        NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" >= '2026-10-18 00:00:00.000000+00:00'
        AND NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" <= '2026-11-01 00:00:00.000000+00:00'
      )
    )
)
SELECT
  "member_id"
FROM "members"
