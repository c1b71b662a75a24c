-- audience munich_early_adopters | market de | dialect trino | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - INTERVAL '43200' SECOND AS "as_of_minus_43200s",
    "now"."as_of" - INTERVAL '5184000' SECOND AS "as_of_minus_5184000s",
    "now"."as_of" - INTERVAL '31536000' SECOND AS "as_of_minus_31536000s"
  FROM (
    SELECT
      CAST(AT_TIMEZONE(CURRENT_TIMESTAMP, 'UTC') AS TIMESTAMP(6)) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."ort" AS "t_city",
    "src"."angemeldet_am" AS "t_signup_date"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND SUBSTR(LOWER("src"."ort"), 1, 3) = 'mün'
    AND "src"."angemeldet_am" < CAST('2025-01-01' AS DATE)
), "events_web_ereignisse" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND "src"."zeitpunkt" <= "params"."as_of"
    AND (
      "src"."ereignis" = 'sitzung' OR "src"."ereignis" = 'warenkorb'
    )
  GROUP BY
    "src"."kunden_id"
  HAVING
    NOT MIN(CASE WHEN "src"."ereignis" = 'sitzung' THEN "src"."zeitpunkt" END) IS NULL
    AND MIN(CASE WHEN "src"."ereignis" = 'sitzung' THEN "src"."zeitpunkt" END) < CAST('2026-01-01 00:00:00.000000' AS TIMESTAMP(6))
    AND COALESCE(
      COUNT(
        CASE
          WHEN "src"."ereignis" = 'sitzung'
          AND "src"."zeitpunkt" >= CAST('2026-09-01 00:00:00.000000' AS TIMESTAMP(6))
          THEN 1
        END
      ),
      0
    ) >= 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN "src"."ereignis" = 'warenkorb'
          AND "src"."kategorie" = 'shoes'
          AND "src"."preis" <= 200
          AND "src"."zeitpunkt" >= "params"."as_of_minus_5184000s"
          THEN 1
        END
      ),
      0
    ) >= 1
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) AS "n_purchase_4"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= "params"."as_of"
    AND "src"."bestellt_am" >= "params"."as_of_minus_43200s"
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
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    COALESCE("events_shop_bestellungen"."n_purchase_4", 0) AS "n_purchase_4",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_43200s" AS "as_of_minus_43200s",
    "params"."as_of_minus_5184000s" AS "as_of_minus_5184000s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "events_web_ereignisse"
    ON "events_web_ereignisse"."member_id" = "profiles"."member_id"
  LEFT JOIN "events_shop_bestellungen"
    ON "events_shop_bestellungen"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    NOT (
      (
        NOT "t_signup_date" IS NULL AND "t_signup_date" >= CAST('2026-10-02' AS DATE)
      )
      OR "n_purchase_4" >= 1
    )
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
)
SELECT
  "member_id"
FROM "members"
