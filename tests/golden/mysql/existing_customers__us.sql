-- audience existing_customers | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`customer_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`
  FROM `profiles`
  INNER JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
