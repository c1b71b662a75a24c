-- audience new_signups | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`created_on` AS `t_signup_date`,
    `src`.`age_years` AS `t_age`,
    `src`.`employee_flag` AS `t_is_employee`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND `src`.`created_on` >= CAST('2026-10-02' AS DATE)
    AND `src`.`created_on` <= CAST('2026-11-01' AS DATE)
    AND `src`.`age_years` >= 18
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_1`
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
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_events_orders`.`n_purchase_1`, 0) AS `n_purchase_1`
  FROM `profiles`
  LEFT JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
), `aud_existing_customers` AS (
  SELECT
    `facts`.*,
    CASE WHEN `n_purchase_1` >= 1 THEN 1 ELSE 0 END AS `in_existing_customers`
  FROM `facts`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `aud_existing_customers`
  WHERE
    NOT `in_existing_customers` = 1
    AND NOT (
      NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
    )
  GROUP BY
    `aud_existing_customers`.`member_id`
)
SELECT
  `member_id`
FROM `members`
