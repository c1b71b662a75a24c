-- audience cart_abandoners | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."land" AS "t_country"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND "src"."land" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."bestellt_am" >= '2026-10-25 00:00:00.000000+00:00') AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
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
    AND (
      (
        "src"."zweck" COLLATE "binary" = 'werbung'
        AND "src"."geaendert_am" >= '2025-11-01 00:00:00.000000+00:00'
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
          AND "src"."geaendert_am" >= '2025-11-01 00:00:00.000000+00:00'
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
            AND "src"."bestaetigt_am" <= '2026-11-01 00:00:00.000000+00:00'
            THEN 1
            ELSE 0
          END
        END
      ) & 3
    ) = 1
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("ev_purchase"."n_purchase_3", 0) AS "n_purchase_3"
  FROM "profiles"
  LEFT JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."kunden_id"
      FROM "web"."ereignisse" AS "src"
      WHERE
        NOT "src"."kunden_id" IS NULL
        AND NOT "src"."zeitpunkt" IS NULL
        AND "src"."zeitpunkt" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."zeitpunkt" >= '2026-10-25 00:00:00.000000+00:00'
        AND "src"."ereignis" COLLATE "binary" = 'warenkorb'
    )
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
)
SELECT
  "member_id"
FROM "members"
