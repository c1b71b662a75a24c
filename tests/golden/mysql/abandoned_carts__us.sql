-- audience abandoned_carts | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`country_code` AS `t_country`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND CAST(`src`.`country_code` AS BINARY) IN ('DE', 'AT', 'CH')
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
        CAST(`src`.`user_id` AS BINARY) AS `member_id`,
        `src`.`added_at` AS `t`,
        1 AS `step`
      FROM `events`.`cart_adds` AS `src`
      WHERE
        NOT `src`.`user_id` IS NULL
        AND NOT `src`.`added_at` IS NULL
        AND `src`.`added_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
        AND `src`.`added_at` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
        AND `src`.`added_at` <= CAST('2026-10-31 00:00:00.000000' AS DATETIME(6))
      UNION ALL
      SELECT
        CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
        `src`.`ordered_at` AS `t`,
        2 AS `step`
      FROM `events`.`orders` AS `src`
      WHERE
        NOT `src`.`customer_id` IS NULL
        AND NOT `src`.`ordered_at` IS NULL
        AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
        AND `src`.`ordered_at` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
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
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    0 AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'targeted_ads'
          AND CAST(`src`.`state` AS BINARY) IN ('opt_out', 'withdrawn')
          THEN `src`.`changed_at`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'targeted_ads'
          THEN `src`.`changed_at`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `privacy`.`consent_log` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`changed_at` IS NULL
    AND `src`.`changed_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`purpose_code` AS BINARY) IN ('targeted_ads')
    AND CAST(`src`.`state` AS BINARY) IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
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
  LEFT JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    `n_seq_add_to_cart_1` >= 1 AND `c_ads_personalization_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
