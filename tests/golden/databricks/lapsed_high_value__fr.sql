-- audience lapsed_high_value | market fr | dialect databricks | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    `src`.`valeur_vie` AS `t_lifetime_value`,
    `src`.`est_salarie` AS `t_is_employee`,
    `src`.`derniere_connexion` AS `t_last_login_at`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL AND `src`.`valeur_vie` >= 500
), `events_suivi_evenements` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`type_evenement` = 'achat'
        AND `src`.`horodatage` >= '2026-08-03 00:00:00.000000+00:00'
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`horodatage` >= '2025-11-01 00:00:00.000000+00:00'
    AND `src`.`type_evenement` = 'achat'
  GROUP BY
    `src`.`client_id`
  HAVING
    COALESCE(COUNT(*), 0) >= 3
), `consent` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          AND `src`.`statut` = 'accepte'
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          AND `src`.`statut` IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
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
    AND `src`.`modifie_le` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`finalite` = 'publicite_ciblee'
    AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
    AND `src`.`statut` IN ('accepte', 'refuse', 'retire')
  GROUP BY
    `src`.`client_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
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
    `member_id`
  FROM `facts`
  WHERE
    NOT `n_purchase_2` >= 1
    AND NOT (
      (
        NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
      )
      OR (
        NOT `t_last_login_at` IS NULL
        AND `t_last_login_at` >= '2026-10-18 00:00:00.000000+00:00'
        AND NOT `t_last_login_at` IS NULL
        AND `t_last_login_at` <= '2026-11-01 00:00:00.000000+00:00'
      )
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
