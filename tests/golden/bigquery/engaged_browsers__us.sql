-- audience engaged_browsers | market us | dialect bigquery | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`user_id` AS `member_id`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
), `events_events_pageviews` AS (
  SELECT
    `src`.`user_id` AS `member_id`
  FROM `events`.`pageviews` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`viewed_at` IS NULL
    AND `src`.`viewed_at` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`viewed_at` >= CAST('2026-10-18 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`user_id`
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN `src`.`viewed_at` >= CAST('2026-10-25 00:00:00.000000' AS TIMESTAMP)
          THEN 1
        END
      ),
      0
    ) >= 5
    AND COALESCE(
      COUNT(
        CASE
          WHEN SUBSTRING(`src`.`url_path`, 1, 5) = '/sale'
          AND `src`.`viewed_at` >= CAST('2026-10-18 00:00:00.000000' AS TIMESTAMP)
          THEN 1
        END
      ),
      0
    ) >= 3
), `events_events_sessions` AS (
  SELECT
    `src`.`user_id` AS `member_id`
  FROM `events`.`sessions` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`session_start` IS NULL
    AND `src`.`session_start` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`session_start` >= CAST('2026-10-02 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`user_id`
  HAVING
    COALESCE(COUNT(*), 0) >= 5
), `events_events_cart_adds` AS (
  SELECT
    `src`.`user_id` AS `member_id`,
    COUNT(*) AS `n_add_to_cart_4`,
    COUNT(
      CASE
        WHEN `src`.`added_at` >= CAST('2026-10-30 00:00:00.000000' AS TIMESTAMP)
        THEN 1
      END
    ) AS `n_add_to_cart_6`
  FROM `events`.`cart_adds` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`added_at` IS NULL
    AND `src`.`added_at` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`added_at` >= CAST('2026-10-02 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`user_id`
), `events_events_orders` AS (
  SELECT
    `src`.`customer_id` AS `member_id`,
    COUNT(*) AS `n_purchase_5`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`ordered_at` >= CAST('2026-10-02 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`customer_id`
), `consent` AS (
  SELECT
    `src`.`user_id` AS `member_id`,
    0 AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`purpose_code` = 'targeted_ads'
          AND `src`.`state` IN ('opt_out', 'withdrawn')
          THEN `src`.`changed_at`
        END
      ) = MAX(CASE WHEN `src`.`purpose_code` = 'targeted_ads' THEN `src`.`changed_at` END)
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `privacy`.`consent_log` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`changed_at` IS NULL
    AND `src`.`changed_at` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`purpose_code` IN ('targeted_ads')
    AND `src`.`state` IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    `src`.`user_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    COALESCE(`events_events_cart_adds`.`n_add_to_cart_4`, 0) AS `n_add_to_cart_4`,
    COALESCE(`events_events_cart_adds`.`n_add_to_cart_6`, 0) AS `n_add_to_cart_6`,
    COALESCE(`events_events_orders`.`n_purchase_5`, 0) AS `n_purchase_5`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_events_pageviews`
    ON `events_events_pageviews`.`member_id` = `profiles`.`member_id`
  INNER JOIN `events_events_sessions`
    ON `events_events_sessions`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_events_cart_adds`
    ON `events_events_cart_adds`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  WHERE
    `n_add_to_cart_4` <= 2
    AND NOT (
      `n_purchase_5` >= 1 OR `n_add_to_cart_6` >= 5
    )
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
