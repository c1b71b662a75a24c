-- audience engaged_browsers | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 172800000000 AS "as_of_minus_172800s",
    "now"."as_of" - 604800000000 AS "as_of_minus_604800s",
    "now"."as_of" - 1209600000000 AS "as_of_minus_1209600s",
    "now"."as_of" - 2592000000000 AS "as_of_minus_2592000s",
    "now"."as_of" - 31536000000000 AS "as_of_minus_31536000s"
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
), "ev_page_view" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
    AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_604800s"
    AND "src"."ereignis" COLLATE "binary" = 'seitenaufruf'
  GROUP BY
    "src"."kunden_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 5
), "ev_session" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
    AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_2592000s"
    AND "src"."ereignis" COLLATE "binary" = 'sitzung'
  GROUP BY
    "src"."kunden_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 5
), "ev_page_view_2" AS (
  SELECT
    "src"."kunden_id" AS "member_id"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
    AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_1209600s"
    AND "src"."ereignis" COLLATE "binary" = 'seitenaufruf'
    AND SUBSTRING("src"."pfad", 1, 5) COLLATE "binary" = '/sale'
  GROUP BY
    "src"."kunden_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
), "ev_add_to_cart" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    COUNT(*) AS "n_add_to_cart_4",
    COUNT(*) FILTER(WHERE
      EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_172800s") AS "n_add_to_cart_6"
  FROM "web"."ereignisse" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND EPOCH_US("src"."zeitpunkt") <= "params"."as_of"
    AND EPOCH_US("src"."zeitpunkt") >= "params"."as_of_minus_2592000s"
    AND "src"."ereignis" COLLATE "binary" = 'warenkorb'
  GROUP BY
    "src"."kunden_id"
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) AS "n_purchase_5"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
    AND EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_2592000s"
  GROUP BY
    "src"."kunde"
), "packed" AS (
  SELECT
    "member_id",
    BIT_OR("packed_0") AS "packed_0"
  FROM (
    SELECT
      "member_id",
      CASE WHEN "n_add_to_cart_4" <= 2 THEN 0 ELSE 1 END + CASE WHEN "n_add_to_cart_6" >= 5 THEN 2 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_add_to_cart"."member_id" AS "member_id",
        COALESCE("ev_add_to_cart"."n_add_to_cart_4", 0) AS "n_add_to_cart_4",
        COALESCE("ev_add_to_cart"."n_add_to_cart_6", 0) AS "n_add_to_cart_6",
        "params"."as_of" AS "as_of",
        "params"."as_of_minus_172800s" AS "as_of_minus_172800s",
        "params"."as_of_minus_604800s" AS "as_of_minus_604800s",
        "params"."as_of_minus_1209600s" AS "as_of_minus_1209600s",
        "params"."as_of_minus_2592000s" AS "as_of_minus_2592000s",
        "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
      FROM "ev_add_to_cart"
      CROSS JOIN "params"
    ) AS "scan"
    UNION ALL
    SELECT
      "member_id",
      CASE WHEN "n_purchase_5" >= 1 THEN 4 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_purchase"."member_id" AS "member_id",
        COALESCE("ev_purchase"."n_purchase_5", 0) AS "n_purchase_5",
        "params"."as_of" AS "as_of",
        "params"."as_of_minus_172800s" AS "as_of_minus_172800s",
        "params"."as_of_minus_604800s" AS "as_of_minus_604800s",
        "params"."as_of_minus_1209600s" AS "as_of_minus_1209600s",
        "params"."as_of_minus_2592000s" AS "as_of_minus_2592000s",
        "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
      FROM "ev_purchase"
      CROSS JOIN "params"
    ) AS "scan"
  ) AS "bits"
  GROUP BY
    "member_id"
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
    COALESCE("packed"."packed_0", 0) AS "packed_0",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_172800s" AS "as_of_minus_172800s",
    "params"."as_of_minus_604800s" AS "as_of_minus_604800s",
    "params"."as_of_minus_1209600s" AS "as_of_minus_1209600s",
    "params"."as_of_minus_2592000s" AS "as_of_minus_2592000s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
  FROM "profiles"
  INNER JOIN "ev_page_view"
    ON "ev_page_view"."member_id" = "profiles"."member_id"
  INNER JOIN "ev_session"
    ON "ev_session"."member_id" = "profiles"."member_id"
  INNER JOIN "ev_page_view_2"
    ON "ev_page_view_2"."member_id" = "profiles"."member_id"
  LEFT JOIN "packed"
    ON "packed"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      "packed_0" & 1
    ) = 0 AND NOT (
      "packed_0" & 6
    ) <> 0
)
SELECT
  "member_id"
FROM "members"
