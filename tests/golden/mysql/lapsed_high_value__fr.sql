-- audience lapsed_high_value | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`,
    `src`.`valeur_vie` AS `t_lifetime_value`,
    `src`.`est_salarie` AS `t_is_employee`,
    `src`.`derniere_connexion` AS `t_last_login_at`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL AND `src`.`valeur_vie` >= 500
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN CAST(`src`.`type_evenement` AS BINARY) = 'achat'
        AND `src`.`horodatage` >= CAST('2026-08-03 00:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`horodatage` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`type_evenement` AS BINARY) = 'achat'
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
  HAVING
    COALESCE(COUNT(*), 0) >= 3
), `consent` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`statut` AS BINARY) = 'accepte'
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`statut` AS BINARY) IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `rgpd`.`consentements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`modifie_le` IS NULL
    AND `src`.`modifie_le` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
    AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`statut` AS BINARY) IN ('accepte', 'refuse', 'retire')
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_lifetime_value` AS `t_lifetime_value`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    `profiles`.`t_last_login_at` AS `t_last_login_at`,
    COALESCE(`events_suivi_evenements`.`n_purchase_2`, 0) AS `n_purchase_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_suivi_evenements`
    ON `events_suivi_evenements`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    NOT `n_purchase_2` >= 1
    AND NOT (
      (
        NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
      )
      OR (
        NOT `t_last_login_at` IS NULL
        AND `t_last_login_at` >= CAST('2026-10-18 00:00:00.000000' AS DATETIME(6))
        AND NOT `t_last_login_at` IS NULL
        AND `t_last_login_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
      )
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
