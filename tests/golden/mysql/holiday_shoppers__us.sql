-- audience holiday_shoppers | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`created_on` AS `t_signup_date`,
    `src`.`age_years` AS `t_age`,
    `src`.`country_code` AS `t_country`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL AND `src`.`created_on` < CAST('2025-11-01' AS DATE)
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`order_total` < 5
        AND CAST(`src`.`sales_channel` AS BINARY) <> 'store'
        AND `src`.`ordered_at` >= CAST('2026-09-30 23:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`ordered_at` >= CAST('2025-11-24 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`customer_id` AS BINARY)
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN (
            LOCATE('blackfriday', CAST(LOWER(`src`.`promo_code`) AS BINARY)) > 0
            OR CAST(`src`.`promo_code` AS BINARY) = '50%_off'
          )
          AND `src`.`ordered_at` >= CAST('2025-11-24 00:00:00.000000' AS DATETIME(6))
          AND `src`.`ordered_at` < CAST('2026-01-01 00:00:00.000000' AS DATETIME(6))
          THEN 1
        END
      ),
      0
    ) >= 1
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
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_country` AS `t_country`,
    COALESCE(`events_events_orders`.`n_purchase_2`, 0) AS `n_purchase_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
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
        AND NOT CAST(`t_country` AS BINARY) IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR `n_purchase_2` >= 1
    )
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
