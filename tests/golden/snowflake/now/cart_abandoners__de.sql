-- audience cart_abandoners | market de | dialect snowflake | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - INTERVAL '604800 SECOND' AS "as_of_minus_604800s",
    "now"."as_of" - INTERVAL '31536000 SECOND' AS "as_of_minus_31536000s"
  FROM (
    SELECT
      SYSDATE() AS "as_of"
  ) AS "now"
), "profiles" AS (
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
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND "src"."zeitpunkt" <= "params"."as_of"
    AND "src"."ereignis" = 'warenkorb'
    AND "src"."zeitpunkt" >= "params"."as_of_minus_604800s"
  GROUP BY
    "src"."kunden_id"
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(CASE WHEN "src"."bestellt_am" >= "params"."as_of_minus_604800s" THEN 1 END) AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= "params"."as_of"
  GROUP BY
    "src"."kunde"
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= "params"."as_of_minus_31536000s"
          AND "src"."status" = 'erteilt'
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= "params"."as_of_minus_31536000s"
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
          AND "src"."geaendert_am" >= "params"."as_of_minus_31536000s"
          AND "src"."status" IN ('abgelehnt', 'widerrufen')
          THEN "src"."geaendert_am"
        END
      ) = MAX(
        CASE
          WHEN "src"."zweck" = 'werbung'
          AND "src"."geaendert_am" >= "params"."as_of_minus_31536000s"
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
          AND "src"."bestaetigt_am" <= "params"."as_of"
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
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= "params"."as_of"
    AND (
      (
        "src"."zweck" = 'werbung'
        AND "src"."geaendert_am" >= "params"."as_of_minus_31536000s"
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
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_604800s" AS "as_of_minus_604800s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "events_web_ereignisse"
    ON "events_web_ereignisse"."member_id" = "profiles"."member_id"
  LEFT JOIN "events_shop_bestellungen"
    ON "events_shop_bestellungen"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
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
