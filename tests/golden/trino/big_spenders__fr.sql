-- audience big_spenders | market fr | dialect trino | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."niveau_fidelite" AS "t_loyalty_tier",
    "src"."est_salarie" AS "t_is_employee"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL AND "src"."niveau_fidelite" IN ('gold', 'platinum')
), "events_suivi_evenements" AS (
  SELECT
    "src"."client_id" AS "member_id",
    SUM(
      CASE
        WHEN "src"."type_evenement" = 'achat'
        AND "src"."horodatage" >= CAST('2026-08-03 00:00:00.000000' AS TIMESTAMP(6))
        THEN "src"."montant"
      END
    ) AS "sum_purchase_revenue_1",
    MAX("src"."montant") AS "max_purchase_revenue_2"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."type_evenement" = 'achat'
  GROUP BY
    "src"."client_id"
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN "src"."type_evenement" = 'achat' AND "src"."canal" = 'web'
          THEN "src"."montant"
        END
      ),
      0
    ) > 0
    AND COALESCE(
      SUM(
        CASE
          WHEN "src"."type_evenement" = 'achat' AND "src"."canal" = 'web'
          THEN "src"."montant"
        END
      ),
      0
    ) > 40 * COALESCE(
      COUNT(
        CASE
          WHEN "src"."type_evenement" = 'achat' AND "src"."canal" = 'web'
          THEN "src"."montant"
        END
      ),
      0
    )
    AND NOT MIN(
      CASE
        WHEN "src"."type_evenement" = 'achat'
        AND "src"."horodatage" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
        THEN "src"."montant"
      END
    ) IS NULL
    AND MIN(
      CASE
        WHEN "src"."type_evenement" = 'achat'
        AND "src"."horodatage" >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP(6))
        THEN "src"."montant"
      END
    ) >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" = 'publicite_ciblee'
          AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP(6))
          AND "src"."statut" = 'accepte'
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" = 'publicite_ciblee'
          AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP(6))
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" = 'publicite_ciblee'
          AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP(6))
          AND "src"."statut" IN ('refuse', 'retire')
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" = 'publicite_ciblee'
          AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP(6))
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."finalite" = 'publicite_ciblee'
    AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."statut" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("events_suivi_evenements"."sum_purchase_revenue_1", 0) AS "sum_purchase_revenue_1",
    "events_suivi_evenements"."max_purchase_revenue_2" AS "max_purchase_revenue_2",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "events_suivi_evenements"
    ON "events_suivi_evenements"."member_id" = "profiles"."member_id"
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
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
