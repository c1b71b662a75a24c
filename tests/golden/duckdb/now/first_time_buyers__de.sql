-- audience first_time_buyers | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 2592000000000 AS "as_of_minus_2592000s"
  FROM (
    SELECT
      EPOCH_US(CURRENT_TIMESTAMP) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_2592000s"),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND EPOCH_US("src"."geaendert_am") <= "params"."as_of"
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
          AND EPOCH_US("src"."bestaetigt_am") <= "params"."as_of"
          THEN 1
          ELSE 0
        END
      ) & 3
    ) = 1
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_2592000s" AS "as_of_minus_2592000s"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
)
SELECT
  "member_id"
FROM "members"
