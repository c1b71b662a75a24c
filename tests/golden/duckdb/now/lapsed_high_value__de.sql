-- audience lapsed_high_value | market de | dialect duckdb | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    "now"."as_of" - 1209600000000 AS "as_of_minus_1209600s",
    "now"."as_of" - 7776000000000 AS "as_of_minus_7776000s",
    "now"."as_of" - 31536000000000 AS "as_of_minus_31536000s"
  FROM (
    SELECT
      EPOCH_US(CURRENT_TIMESTAMP) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."clv" AS "t_lifetime_value",
    "src"."ist_mitarbeiter" AS "t_is_employee",
    "src"."letzter_login" AS "t_last_login_at"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL AND "src"."clv" >= 500
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) FILTER(WHERE
      EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_7776000s") AS "n_purchase_2"
  FROM "shop"."bestellungen" AS "src"
  CROSS JOIN "params"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND EPOCH_US("src"."bestellt_am") <= "params"."as_of"
    AND EPOCH_US("src"."bestellt_am") >= "params"."as_of_minus_31536000s"
  GROUP BY
    "src"."kunde"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
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
    "profiles"."t_lifetime_value" AS "t_lifetime_value",
    "profiles"."t_is_employee" AS "t_is_employee",
    "profiles"."t_last_login_at" AS "t_last_login_at",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
    "params"."as_of" AS "as_of",
    "params"."as_of_minus_1209600s" AS "as_of_minus_1209600s",
    "params"."as_of_minus_7776000s" AS "as_of_minus_7776000s",
    "params"."as_of_minus_31536000s" AS "as_of_minus_31536000s"
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
  WHERE
    NOT "n_purchase_2" >= 1
    AND NOT (
      (
        NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
      )
      OR (
        NOT "t_last_login_at" IS NULL
        AND EPOCH_US("t_last_login_at") >= "as_of_minus_1209600s"
        AND NOT "t_last_login_at" IS NULL
        AND EPOCH_US("t_last_login_at") <= "as_of"
      )
    )
)
SELECT
  "member_id"
FROM "members"
