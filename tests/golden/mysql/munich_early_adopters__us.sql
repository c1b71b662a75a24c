-- audience munich_early_adopters | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`city_name` AS `t_city`,
    `src`.`created_on` AS `t_signup_date`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND CAST(SUBSTRING(LOWER(`src`.`city_name`), 1, 3) AS BINARY) = 'mün'
    AND `src`.`created_on` < CAST('2025-01-01' AS DATE)
), `events_events_sessions` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`
  FROM `events`.`sessions` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`session_start` IS NULL
    AND `src`.`session_start` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
  HAVING
    NOT MIN(`src`.`session_start`) IS NULL
    AND MIN(`src`.`session_start`) < CAST('2026-01-01 00:00:00.000000' AS DATETIME(6))
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`session_start` >= CAST('2026-09-01 00:00:00.000000' AS DATETIME(6))
          THEN 1
        END
      ),
      0
    ) >= 1
), `events_events_cart_adds` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`
  FROM `events`.`cart_adds` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`added_at` IS NULL
    AND `src`.`added_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`product_category` AS BINARY) = 'shoes'
    AND `src`.`unit_price` <= 200
    AND `src`.`added_at` >= CAST('2026-09-02 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_4`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`ordered_at` >= CAST('2026-10-31 12:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`customer_id` AS BINARY)
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
    END AS `c_ads_personalization_refused`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'email'
          AND CAST(`src`.`state` AS BINARY) = 'opt_in'
          THEN `src`.`changed_at`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'email'
          THEN `src`.`changed_at`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'email'
          AND CAST(`src`.`state` AS BINARY) IN ('opt_out', 'withdrawn')
          THEN `src`.`changed_at`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`purpose_code` AS BINARY) = 'email'
          THEN `src`.`changed_at`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `privacy`.`consent_log` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`changed_at` IS NULL
    AND `src`.`changed_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`purpose_code` AS BINARY) IN ('targeted_ads', 'email')
    AND CAST(`src`.`state` AS BINARY) IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_city` AS `t_city`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    COALESCE(`events_events_orders`.`n_purchase_4`, 0) AS `n_purchase_4`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_events_sessions`
    ON `events_events_sessions`.`member_id` = `profiles`.`member_id`
  INNER JOIN `events_events_cart_adds`
    ON `events_events_cart_adds`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    NOT (
      (
        NOT `t_signup_date` IS NULL AND `t_signup_date` >= CAST('2026-10-02' AS DATE)
      )
      OR `n_purchase_4` >= 1
    )
    AND `c_ads_personalization_refused` = 0
    AND `c_email_marketing_granted` = 1
    AND `c_email_marketing_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
