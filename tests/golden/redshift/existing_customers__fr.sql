-- audience existing_customers | market fr | dialect redshift | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
), "events_suivi_evenements" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND "src"."type_evenement" = 'achat'
  GROUP BY
    "src"."client_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id"
  FROM "profiles"
  INNER JOIN "events_suivi_evenements"
    ON "events_suivi_evenements"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
