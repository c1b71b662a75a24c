-- audience first_time_buyers | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."bestellt_am" >= '2026-10-02 00:00:00.000000+00:00'),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."zweck" COLLATE "binary" IN ('newsletter')
    AND "src"."status" COLLATE "binary" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
  HAVING
    (
      MAX(
        EPOCH_US("src"."geaendert_am") * 4 + CASE
          WHEN "src"."status" COLLATE "binary" <> 'erteilt'
          THEN 2
          WHEN NOT "src"."bestaetigt_am" IS NULL
          AND "src"."bestaetigt_am" <= '2026-11-01 00:00:00.000000+00:00'
          THEN 1
          ELSE 0
        END
      ) & 3
    ) = 1
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
)
SELECT
  "member_id"
FROM "members"
