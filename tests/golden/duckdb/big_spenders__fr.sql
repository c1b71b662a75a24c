-- audience big_spenders | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."niveau_fidelite" AS "t_loyalty_tier",
    "src"."est_salarie" AS "t_is_employee"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND "src"."niveau_fidelite" COLLATE "binary" IN ('gold', 'platinum')
), "ev_purchase" AS (
  SELECT
    "src"."client_id" AS "member_id",
    SUM("src"."montant") FILTER(WHERE
      "src"."horodatage" >= '2026-08-03 00:00:00.000000+00:00') AS "sum_purchase_revenue_1",
    MAX("src"."montant") AS "max_purchase_revenue_2"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
  GROUP BY
    "src"."client_id"
  HAVING
    NOT MIN("src"."montant") FILTER(WHERE
      "src"."horodatage" >= '2025-11-01 00:00:00.000000+00:00') IS NULL
    AND MIN("src"."montant") FILTER(WHERE
      "src"."horodatage" >= '2025-11-01 00:00:00.000000+00:00') >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), "ev_purchase_2" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
    AND "src"."canal" COLLATE "binary" = 'web'
  GROUP BY
    "src"."client_id"
  HAVING
    COALESCE(COUNT("src"."montant"), 0) > 0
    AND COALESCE(SUM("src"."montant"), 0) > 40 * COALESCE(COUNT("src"."montant"), 0)
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
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("ev_purchase"."sum_purchase_revenue_1", 0) AS "sum_purchase_revenue_1",
    "ev_purchase"."max_purchase_revenue_2" AS "max_purchase_revenue_2"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "ev_purchase_2"
    ON "ev_purchase_2"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      "sum_purchase_revenue_1" >= 500
      OR (
        NOT "max_purchase_revenue_2" IS NULL AND "max_purchase_revenue_2" > 1000
      )
    )
    AND NOT (
      NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
    )
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
