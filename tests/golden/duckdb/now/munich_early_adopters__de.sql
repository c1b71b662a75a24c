-- audience munich_early_adopters | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 43200000000 AS "as_of_minus_43200s",
    "now"."as_of" - 5184000000000 AS "as_of_minus_5184000s",
    "now"."as_of" - 31536000000000 AS "as_of_minus_31536000s"
  FROM (
    SELECT
      EPOCH_US(CURRENT_TIMESTAMP) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."ort" AS "t_city",
    "src"."angemeldet_am" AS "t_signup_date"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND SUBSTRING(LOWER("src"."ort"), 1, 3) COLLATE "binary" = 'mün'
    AND "src"."angemeldet_am" < CAST('2025-01-01' AS DATE)
), "ev_session" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
    AND "src"."ereignis" COLLATE "binary" = 'sitzung'
  GROUP BY
    "src"."kunden_id"
  HAVING
    NOT MIN("src"."zeitpunkt") IS NULL
    AND MIN("src"."zeitpunkt") < '2026-01-01 00:00:00.000000+00:00'
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."zeitpunkt" >= '2026-09-01 00:00:00.000000+00:00'),
      0
    ) >= 1
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) AS "n_purchase_4"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
    AND EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_43200s"
  GROUP BY
    "src"."kunde"
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND EPOCH_US("src"."geaendert_am") <= "params"."as_of"
    AND (
      (
        "src"."zweck" COLLATE "binary" = 'werbung'
        AND EPOCH_US("src"."geaendert_am") >= "params"."as_of_minus_31536000s"
      )
      OR "src"."zweck" COLLATE "binary" = 'newsletter'
    )
    AND "src"."status" COLLATE "binary" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
  HAVING
    (
      MAX(
        CASE
          WHEN "src"."zweck" COLLATE "binary" = 'werbung'
          AND EPOCH_US("src"."geaendert_am") >= "params"."as_of_minus_31536000s"
          THEN EPOCH_US("src"."geaendert_am") * 2 + CASE WHEN "src"."status" COLLATE "binary" <> 'erteilt' THEN 1 ELSE 0 END
        END
      ) & 1
    ) = 0
    AND (
      MAX(
        CASE
          WHEN "src"."zweck" COLLATE "binary" = 'newsletter'
          THEN EPOCH_US("src"."geaendert_am") * 4 + CASE
            WHEN "src"."status" COLLATE "binary" <> 'erteilt'
            THEN 2
            WHEN NOT "src"."bestaetigt_am" IS NULL
            AND EPOCH_US("src"."bestaetigt_am") <= "params"."as_of"
            THEN 1
            ELSE 0
          END
        END
      ) & 3
    ) = 1
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    COALESCE("ev_purchase"."n_purchase_4", 0) AS "n_purchase_4",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_43200s" AS "as_of_minus_43200s",
    "params"."as_of_minus_5184000s" AS "as_of_minus_5184000s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "ev_session"
    ON "ev_session"."member_id" = "profiles"."member_id"
  LEFT JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."kunden_id"
      FROM "web"."ereignisse" AS "src"
      CROSS JOIN "params"
      WHERE
        NOT "src"."kunden_id" IS NULL
        AND NOT "src"."zeitpunkt" IS NULL
        AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
        AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_5184000s"
        AND "src"."ereignis" COLLATE "binary" = 'warenkorb'
        AND "src"."kategorie" COLLATE "binary" = 'shoes'
        AND "src"."preis" <= 200
    )
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
)
SELECT
  "member_id"
FROM "members"
