-- audience holiday_shoppers | market fr | dialect bigquery | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    `src`.`date_inscription` AS `t_signup_date`,
    `src`.`age` AS `t_age`,
    `src`.`pays` AS `t_country`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND `src`.`date_inscription` < CAST('2025-11-01' AS DATE)
), `events_suivi_evenements` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`type_evenement` = 'achat'
        AND `src`.`montant` < 5
        AND `src`.`canal` <> 'store'
        AND `src`.`horodatage` >= CAST('2026-09-30 23:00:00.000000' AS TIMESTAMP)
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`horodatage` >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`type_evenement` = 'achat'
  GROUP BY
    `src`.`client_id`
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'achat'
          AND (
            INSTR(LOWER(`src`.`code_promo`), 'blackfriday') > 0
            OR `src`.`code_promo` = '50%_off'
          )
          AND `src`.`horodatage` >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMP)
          AND `src`.`horodatage` < CAST('2026-01-01 00:00:00.000000' AS TIMESTAMP)
          THEN 1
        END
      ),
      0
    ) >= 1
), `consent` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
          AND `src`.`statut` = 'accepte'
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
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
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
          AND `src`.`statut` IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
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
    AND `src`.`modifie_le` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`finalite` = 'publicite_ciblee'
    AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`statut` IN ('accepte', 'refuse', 'retire')
  GROUP BY
    `src`.`client_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_country` AS `t_country`,
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
    (
      (
        `t_age` >= 25 AND `t_age` <= 54
      ) OR `t_age` IS NULL
    )
    AND NOT (
      (
        NOT `t_country` IS NULL
        AND NOT `t_country` IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR `n_purchase_2` >= 1
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
