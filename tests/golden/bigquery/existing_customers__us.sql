-- audience existing_customers | market us | dialect bigquery | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`user_id` AS `member_id`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
), `events_events_orders` AS (
  SELECT
    `src`.`customer_id` AS `member_id`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`customer_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`
  FROM `profiles`
  INNER JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
