-- audience abandoned_carts | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 86400000000 AS "as_of_minus_86400s",
    "now"."as_of" - 604800000000 AS "as_of_minus_604800s",
    "now"."as_of" - 31536000000000 AS "as_of_minus_31536000s"
  FROM (
    SELECT
      EPOCH_US(CURRENT_TIMESTAMP) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."land" AS "t_country"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND "src"."land" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "seq_add_to_cart_1" AS (
  SELECT
    "y"."member_id" AS "member_id",
    COUNT(*) AS "n_seq_add_to_cart_1"
  FROM (
    SELECT
      "src"."kunden_id" AS "member_id",
      "src"."zeitpunkt" AS "t"
    FROM "web"."ereignisse" AS "src"
    CROSS JOIN "params"
    WHERE
      NOT "src"."kunden_id" IS NULL
      AND NOT "src"."zeitpunkt" IS NULL
      AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
      AND "src"."ereignis" COLLATE "binary" = 'warenkorb'
      AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_604800s"
      AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of_minus_86400s"
  ) AS "y"
  ASOF LEFT JOIN (
    SELECT
      "src"."kunde" AS "member_id",
      "src"."bestellt_am" AS "t"
    FROM "shop"."bestellungen" AS "src"
    CROSS JOIN "params"
    WHERE
      NOT "src"."kunde" IS NULL
      AND NOT "src"."bestellt_am" IS NULL
      AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
      AND EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_604800s"
  ) AS "z"
    ON "y"."member_id" = "z"."member_id" AND "y"."t" <= "z"."t"
  WHERE
    "z"."t" IS NULL OR "z"."t" - INTERVAL '86400' SECOND > "y"."t"
  GROUP BY
    "y"."member_id"
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "legal"."einwilligungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND EPOCH_US("src"."geaendert_am") <= "params"."as_of"
    AND "src"."zweck" COLLATE "binary" = 'werbung'
    AND EPOCH_US("src"."geaendert_am") >= "params"."as_of_minus_31536000s"
    AND "src"."status" COLLATE "binary" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
  HAVING
    (
      MAX(
        EPOCH_US("src"."geaendert_am") * 2 + CASE WHEN "src"."status" COLLATE "binary" <> 'erteilt' THEN 1 ELSE 0 END
      ) & 1
    ) = 0
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("seq_add_to_cart_1"."n_seq_add_to_cart_1", 0) AS "n_seq_add_to_cart_1",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_86400s" AS "as_of_minus_86400s",
    "params"."as_of_minus_604800s" AS "as_of_minus_604800s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "seq_add_to_cart_1"
    ON "seq_add_to_cart_1"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    "n_seq_add_to_cart_1" >= 1
)
SELECT
  "member_id"
FROM "members"
