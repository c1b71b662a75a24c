-- audience holiday_shoppers | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."angemeldet_am" AS "t_signup_date",
    "src"."alter" AS "t_age",
    "src"."land" AS "t_country"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND "src"."angemeldet_am" < CAST('2025-11-01' AS DATE)
), "ev_purchase_2" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) AS "n_purchase_2"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."bestellt_am" >= '2026-09-30 23:00:00.000000+00:00'
    AND "src"."umsatz" < 5
    AND "src"."kanal" COLLATE "binary" <> 'store'
  GROUP BY
    "src"."kunde"
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
    "profiles"."t_signup_date" AS "t_signup_date",
    "profiles"."t_age" AS "t_age",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase_2"."n_purchase_2", 0) AS "n_purchase_2"
  FROM "profiles"
  LEFT JOIN "ev_purchase_2"
    ON "ev_purchase_2"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."kunde"
      FROM "shop"."bestellungen" AS "src"
      WHERE
        NOT "src"."kunde" IS NULL
        AND NOT "src"."bestellt_am" IS NULL
        AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."bestellt_am" >= '2025-11-24 00:00:00.000000+00:00'
        AND "src"."bestellt_am" < '2026-01-01 00:00:00.000000+00:00'
        AND (
          STRPOS((
            LOWER("src"."gutschein") COLLATE "binary"
          ), 'blackfriday') > 0
          OR "src"."gutschein" COLLATE "binary" = '50%_off'
        )
    )
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      (
        "t_age" >= 25 AND "t_age" <= 54
      ) OR "t_age" IS NULL
    )
    AND NOT (
      (
        NOT "t_country" IS NULL
        AND NOT "t_country" COLLATE "binary" IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR "n_purchase_2" >= 1
    )
)
SELECT
  "member_id"
FROM "members"
