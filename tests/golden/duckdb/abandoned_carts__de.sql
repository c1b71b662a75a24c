-- audience abandoned_carts | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
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
    WHERE
      NOT "src"."kunden_id" IS NULL
      AND NOT "src"."zeitpunkt" IS NULL
      AND "src"."zeitpunkt" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."ereignis" COLLATE "binary" = 'warenkorb'
      AND "src"."zeitpunkt" >= '2026-10-25 00:00:00.000000+00:00'
      AND "src"."zeitpunkt" <= '2026-10-31 00:00:00.000000+00:00'
  ) AS "y"
  ASOF LEFT JOIN (
    SELECT
      "src"."kunde" AS "member_id",
      "src"."bestellt_am" AS "t"
    FROM "shop"."bestellungen" AS "src"
    WHERE
      NOT "src"."kunde" IS NULL
      AND NOT "src"."bestellt_am" IS NULL
      AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."bestellt_am" >= '2026-10-25 00:00:00.000000+00:00'
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
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."zweck" COLLATE "binary" = 'werbung'
    AND "src"."geaendert_am" >= '2025-11-01 00:00:00.000000+00:00'
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
    COALESCE("seq_add_to_cart_1"."n_seq_add_to_cart_1", 0) AS "n_seq_add_to_cart_1"
  FROM "profiles"
  INNER JOIN "seq_add_to_cart_1"
    ON "seq_add_to_cart_1"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
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
