-- audience abandoned_carts | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."pays" AS "t_country"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND "src"."pays" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "seq_add_to_cart_1" AS (
  SELECT
    "y"."member_id" AS "member_id",
    COUNT(*) AS "n_seq_add_to_cart_1"
  FROM (
    SELECT
      "src"."client_id" AS "member_id",
      "src"."horodatage" AS "t"
    FROM "suivi"."evenements" AS "src"
    WHERE
      NOT "src"."client_id" IS NULL
      AND NOT "src"."horodatage" IS NULL
      AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."type_evenement" COLLATE "binary" = 'ajout_panier'
      AND "src"."horodatage" >= '2026-10-25 00:00:00.000000+00:00'
      AND "src"."horodatage" <= '2026-10-31 00:00:00.000000+00:00'
  ) AS "y"
  ASOF LEFT JOIN (
    SELECT
      "src"."client_id" AS "member_id",
      "src"."horodatage" AS "t"
    FROM "suivi"."evenements" AS "src"
    WHERE
      NOT "src"."client_id" IS NULL
      AND NOT "src"."horodatage" IS NULL
      AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."type_evenement" COLLATE "binary" = 'achat'
      AND "src"."horodatage" >= '2026-10-25 00:00:00.000000+00:00'
  ) AS "z"
    ON "y"."member_id" = "z"."member_id" AND "y"."t" <= "z"."t"
  WHERE
    "z"."t" IS NULL OR "z"."t" - INTERVAL '86400' SECOND > "y"."t"
  GROUP BY
    "y"."member_id"
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
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
