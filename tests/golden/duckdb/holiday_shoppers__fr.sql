-- audience holiday_shoppers | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."date_inscription" AS "t_signup_date",
    "src"."age" AS "t_age",
    "src"."pays" AS "t_country"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND "src"."date_inscription" < CAST('2025-11-01' AS DATE)
), "ev_purchase_2" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(*) AS "n_purchase_2"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."horodatage" >= '2026-09-30 23:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
    AND "src"."montant" < 5
    AND "src"."canal" COLLATE "binary" <> 'store'
  GROUP BY
    "src"."client_id"
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
    AND "src"."modifie_le" >= '2025-10-02 00:00:00.000000+00:00'
    AND "src"."statut" COLLATE "binary" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
  HAVING
    (
      MAX(
        EPOCH_US("src"."modifie_le") * 2 + CASE WHEN "src"."statut" COLLATE "binary" <> 'accepte' THEN 1 ELSE 0 END
      ) & 1
    ) = 0
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_signup_date" AS "t_signup_date",
    "profiles"."t_age" AS "t_age",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase_2"."n_purchase_2", 0) AS "n_purchase_2"
  FROM "profiles"
  LEFT JOIN "ev_purchase_2"
    ON "ev_purchase_2"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."client_id"
      FROM "suivi"."evenements" AS "src"
      WHERE
        NOT "src"."client_id" IS NULL
        AND NOT "src"."horodatage" IS NULL
        AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."horodatage" >= '2025-11-24 00:00:00.000000+00:00'
        AND "src"."horodatage" < '2026-01-01 00:00:00.000000+00:00'
        AND "src"."type_evenement" COLLATE "binary" = 'achat'
        AND (
          STRPOS((
            LOWER("src"."code_promo") COLLATE "binary"
          ), 'blackfriday') > 0
          OR "src"."code_promo" COLLATE "binary" = '50%_off'
        )
    )
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      (
        "t_age" >= 25 AND "t_age" <= 54
      ) OR "t_age" IS NULL
    )
    AND NOT (
      (
        NOT "t_country" IS NULL
        AND NOT "t_country" COLLATE "binary" IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR "n_purchase_2" >= 1
    )
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
