-- audience lapsed_high_value | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`ltv_usd` AS `t_lifetime_value`,
    `src`.`employee_flag` AS `t_is_employee`,
    `src`.`last_login_ts` AS `t_last_login_at`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL AND `src`.`ltv_usd` >= 500
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`ordered_at` >= CAST('2026-08-03 00:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`ordered_at` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`customer_id` AS BINARY)
  HAVING
    COALESCE(COUNT(*), 0) >= 3
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
    `profiles`.`t_lifetime_value` AS `t_lifetime_value`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    `profiles`.`t_last_login_at` AS `t_last_login_at`,
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
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
