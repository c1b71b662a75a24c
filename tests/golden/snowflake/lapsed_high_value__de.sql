-- audience lapsed_high_value | market de | dialect snowflake | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."clv" AS "t_lifetime_value",
    "src"."ist_mitarbeiter" AS "t_is_employee",
    "src"."letzter_login" AS "t_last_login_at"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL AND "src"."clv" >= 500
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."bestellt_am" >= CAST('2026-08-03 00:00:00.000000' AS TIMESTAMPNTZ)
        THEN 1
      END
    ) AS "n_purchase_2"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."bestellt_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
          AND "src"."status" = 'erteilt'
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
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
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
          AND "src"."status" IN ('abgelehnt', 'widerrufen')
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
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
    AND "src"."geaendert_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."zweck" = 'werbung'
    AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."status" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_lifetime_value" AS "t_lifetime_value",
    "profiles"."t_is_employee" AS "t_is_employee",
    "profiles"."t_last_login_at" AS "t_last_login_at",
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
    NOT "n_purchase_2" >= 1
    AND NOT (
      (
        NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
      )
      OR (
        NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" >= CAST('2026-10-18 00:00:00.000000' AS TIMESTAMPNTZ)
        AND NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
      )
    )
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
)
SELECT
  "member_id"
FROM "members"
