-- audience abandoned_carts | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`,
    `src`.`pays` AS `t_country`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND CAST(`src`.`pays` AS BINARY) IN ('DE', 'AT', 'CH')
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
        CAST(`src`.`client_id` AS BINARY) AS `member_id`,
        `src`.`horodatage` AS `t`,
        1 AS `step`
      FROM `suivi`.`evenements` AS `src`
      WHERE
        NOT `src`.`client_id` IS NULL
        AND NOT `src`.`horodatage` IS NULL
        AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
        AND CAST(`src`.`type_evenement` AS BINARY) = 'ajout_panier'
        AND `src`.`horodatage` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
        AND `src`.`horodatage` <= CAST('2026-10-31 00:00:00.000000' AS DATETIME(6))
      UNION ALL
      SELECT
        CAST(`src`.`client_id` AS BINARY) AS `member_id`,
        `src`.`horodatage` AS `t`,
        2 AS `step`
      FROM `suivi`.`evenements` AS `src`
      WHERE
        NOT `src`.`client_id` IS NULL
        AND NOT `src`.`horodatage` IS NULL
        AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
        AND CAST(`src`.`type_evenement` AS BINARY) = 'achat'
        AND `src`.`horodatage` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
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
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    `n_seq_add_to_cart_1` >= 1
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
