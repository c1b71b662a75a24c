-- audience cart_abandoners | market de | dialect redshift | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."land" AS "t_country"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL AND "src"."land" IN ('DE', 'AT', 'CH')
), "events_web_ereignisse" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND "src"."zeitpunkt" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND "src"."ereignis" = 'warenkorb'
    AND "src"."zeitpunkt" >= CAST('2026-10-25 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    "src"."kunden_id"
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."bestellt_am" >= CAST('2026-10-25 00:00:00.000000' AS TIMESTAMP)
        THEN 1
      END
    ) AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    "src"."kunde"
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
          AND "src"."status" = 'erteilt'
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
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
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
          AND "src"."status" IN ('abgelehnt', 'widerrufen')
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
          THEN "src"."geaendert_am"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'newsletter'
          AND "src"."status" = 'erteilt'
          AND NOT "src"."bestaetigt_am" IS NULL
          AND "src"."bestaetigt_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
          THEN "src"."geaendert_am"
        END
      ) = MAX(CASE WHEN "src"."zweck" = 'newsletter' THEN "src"."geaendert_am" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'newsletter' AND "src"."status" IN ('abgelehnt', 'widerrufen')
          THEN "src"."geaendert_am"
        END
      ) = MAX(CASE WHEN "src"."zweck" = 'newsletter' THEN "src"."geaendert_am" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "legal"."einwilligungen" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND (
      (
        "src"."zweck" = 'werbung'
        AND "src"."geaendert_am" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
      )
      OR "src"."zweck" = 'newsletter'
    )
    AND "src"."status" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("events_shop_bestellungen"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("events_shop_bestellungen"."n_purchase_3", 0) AS "n_purchase_3",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  INNER JOIN "events_web_ereignisse"
    ON "events_web_ereignisse"."member_id" = "profiles"."member_id"
  LEFT JOIN "events_shop_bestellungen"
    ON "events_shop_bestellungen"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "aud_existing_customers" AS (
  SELECT
    "facts".*,
    CASE WHEN "n_purchase_3" >= 1 THEN 1 ELSE 0 END AS "in_existing_customers"
  FROM "facts"
), "members" AS (
  SELECT
    "member_id"
  FROM "aud_existing_customers"
  WHERE
    NOT (
      "n_purchase_2" >= 1 OR "in_existing_customers" = 1
    )
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
)
SELECT
  "member_id"
FROM "members"
