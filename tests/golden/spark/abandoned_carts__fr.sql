-- audience abandoned_carts | market fr | dialect spark | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    `src`.`pays` AS `t_country`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL AND `src`.`pays` IN ('DE', 'AT', 'CH')
), `seq_add_to_cart_1` AS (
  SELECT
    `member_id`,
    COUNT(*) AS `n_seq_add_to_cart_1`
  FROM (
    SELECT
      `member_id`,
      `t`,
      `step`,
      MIN(CASE WHEN `step` = 2 THEN `t` END) OVER (
        PARTITION BY `member_id`
        ORDER BY `t` DESC, `step` DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS `later`
    FROM (
      SELECT
        `src`.`client_id` AS `member_id`,
        `src`.`horodatage` AS `t`,
        1 AS `step`
      FROM `suivi`.`evenements` AS `src`
      WHERE
        NOT `src`.`client_id` IS NULL
        AND NOT `src`.`horodatage` IS NULL
        AND `src`.`horodatage` <= '2026-11-01 00:00:00.000000+00:00'
        AND `src`.`type_evenement` = 'ajout_panier'
        AND `src`.`horodatage` >= '2026-10-25 00:00:00.000000+00:00'
        AND `src`.`horodatage` <= '2026-10-31 00:00:00.000000+00:00'
      UNION ALL
      SELECT
        `src`.`client_id` AS `member_id`,
        `src`.`horodatage` AS `t`,
        2 AS `step`
      FROM `suivi`.`evenements` AS `src`
      WHERE
        NOT `src`.`client_id` IS NULL
        AND NOT `src`.`horodatage` IS NULL
        AND `src`.`horodatage` <= '2026-11-01 00:00:00.000000+00:00'
        AND `src`.`type_evenement` = 'achat'
        AND `src`.`horodatage` >= '2026-10-25 00:00:00.000000+00:00'
    ) AS `lvl`
    WHERE
      `step` >= 1
  ) AS `lvl`
  WHERE
    `step` = 1 AND (
      `later` IS NULL OR `later` - INTERVAL 86400 SECOND > `t`
    )
  GROUP BY
    `member_id`
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
    `profiles`.`t_country` AS `t_country`,
    COALESCE(`seq_add_to_cart_1`.`n_seq_add_to_cart_1`, 0) AS `n_seq_add_to_cart_1`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `seq_add_to_cart_1`
    ON `seq_add_to_cart_1`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  WHERE
    `n_seq_add_to_cart_1` >= 1
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
