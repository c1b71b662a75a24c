-- audience holiday_shoppers | market de | dialect trino | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
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
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."umsatz" < 5
        AND "src"."kanal" <> 'store'
        AND "src"."bestellt_am" >= CAST('2026-09-30 23:00:00.000000' AS TIMESTAMP(6))
        THEN 1
      END
    ) AS "n_purchase_2"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."bestellt_am" >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMP(6))
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN (
            STRPOS(LOWER("src"."gutschein"), 'blackfriday') > 0
            OR "src"."gutschein" = '50%_off'
          )
          AND "src"."bestellt_am" >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMP(6))
          AND "src"."bestellt_am" < CAST('2026-01-01 00:00:00.000000' AS TIMESTAMP(6))
          THEN 1
        END
      ),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
          AND "src"."status" = 'erteilt'
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
          THEN "src"."geaendert_am"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
          AND "src"."status" IN ('abgelehnt', 'widerrufen')
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
          THEN "src"."geaendert_am"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused"
  FROM "legal"."einwilligungen" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."zweck" = 'werbung'
    AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."status" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_signup_date" AS "t_signup_date",
    "profiles"."t_age" AS "t_age",
    "profiles"."t_country" AS "t_country",
    COALESCE("events_shop_bestellungen"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "events_shop_bestellungen"
    ON "events_shop_bestellungen"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
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
        AND NOT "t_country" IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR "n_purchase_2" >= 1
    )
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
)
SELECT
  "member_id"
FROM "members"
