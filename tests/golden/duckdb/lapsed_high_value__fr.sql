-- audience lapsed_high_value | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."valeur_vie" AS "t_lifetime_value",
    "src"."est_salarie" AS "t_is_employee",
    "src"."derniere_connexion" AS "t_last_login_at"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL AND "src"."valeur_vie" >= 500
), "ev_purchase" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."horodatage" >= '2026-08-03 00:00:00.000000+00:00') AS "n_purchase_2"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."horodatage" >= '2025-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
  GROUP BY
    "src"."client_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
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
    "profiles"."t_lifetime_value" AS "t_lifetime_value",
    "profiles"."t_is_employee" AS "t_is_employee",
    "profiles"."t_last_login_at" AS "t_last_login_at",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
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
        AND "t_last_login_at" >= '2026-10-18 00:00:00.000000+00:00'
        AND NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" <= '2026-11-01 00:00:00.000000+00:00'
      )
    )
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
