-- audience new_buyers | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
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
  HAVING
    NOT MIN(`src`.`ordered_at`) IS NULL
    AND MIN(`src`.`ordered_at`) >= CAST('2026-10-02 00:00:00.000000' AS DATETIME(6))
), `consent` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
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
    AND CAST(`src`.`purpose_code` AS BINARY) IN ('email')
    AND CAST(`src`.`state` AS BINARY) IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    `c_email_marketing_granted` = 1 AND `c_email_marketing_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
