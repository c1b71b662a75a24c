-- audience abandoned_carts | market de | dialect spark | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    `src`.`land` AS `t_country`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL AND `src`.`land` IN ('DE', 'AT', 'CH')
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
        `src`.`kunden_id` AS `member_id`,
        `src`.`zeitpunkt` AS `t`,
        1 AS `step`
      FROM `web`.`ereignisse` AS `src`
      WHERE
        NOT `src`.`kunden_id` IS NULL
        AND NOT `src`.`zeitpunkt` IS NULL
        AND `src`.`zeitpunkt` <= '2026-11-01 00:00:00.000000+00:00'
        AND `src`.`ereignis` = 'warenkorb'
        AND `src`.`zeitpunkt` >= '2026-10-25 00:00:00.000000+00:00'
        AND `src`.`zeitpunkt` <= '2026-10-31 00:00:00.000000+00:00'
      UNION ALL
      SELECT
        `src`.`kunde` AS `member_id`,
        `src`.`bestellt_am` AS `t`,
        2 AS `step`
      FROM `shop`.`bestellungen` AS `src`
      WHERE
        NOT `src`.`kunde` IS NULL
        AND NOT `src`.`bestellt_am` IS NULL
        AND `src`.`bestellt_am` <= '2026-11-01 00:00:00.000000+00:00'
        AND `src`.`bestellt_am` >= '2026-10-25 00:00:00.000000+00:00'
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
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `legal`.`einwilligungen` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`zweck` = 'werbung'
    AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
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
)
SELECT
  `member_id`
FROM `members`
