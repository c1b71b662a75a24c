-- audience existing_customers | market de | dialect clickhouse | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of"
  FROM (
    SELECT
      now64(6, 'UTC') AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT (
      "src"."kunden_id" IS NULL
    )
), "events_shop_bestellungen" AS (
  SELECT
    "src"."kunde" AS "member_id"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT (
      "src"."kunde" IS NULL
    )
    AND NOT (
      "src"."bestellt_am" IS NULL
    )
    AND "src"."bestellt_am" <= "params"."as_of"
  GROUP BY
    "src"."kunde"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "params"."as_of" AS "as_of"
  FROM "profiles"
  INNER JOIN "events_shop_bestellungen"
    ON "events_shop_bestellungen"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
)
SELECT
  "member_id"
FROM "members"
