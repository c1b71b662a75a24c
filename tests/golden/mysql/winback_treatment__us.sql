-- audience winback_treatment | market us | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    `src`.`user_id` AS `member_text`,
    `src`.`email_address` AS `t_email`,
    `src`.`rewards_tier` AS `t_loyalty_tier`,
    `src`.`employee_flag` AS `t_is_employee`
  FROM `analytics`.`users` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
), `events_events_orders` AS (
  SELECT
    CAST(`src`.`customer_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_1`
  FROM `events`.`orders` AS `src`
  WHERE
    NOT `src`.`customer_id` IS NULL
    AND NOT `src`.`ordered_at` IS NULL
    AND `src`.`ordered_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`ordered_at` >= CAST('2026-06-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`customer_id` AS BINARY)
), `events_events_pageviews` AS (
  SELECT
    CAST(`src`.`user_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_page_view_2`
  FROM `events`.`pageviews` AS `src`
  WHERE
    NOT `src`.`user_id` IS NULL
    AND NOT `src`.`viewed_at` IS NULL
    AND `src`.`viewed_at` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`viewed_at` >= CAST('2026-10-31 23:30:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`user_id` AS BINARY)
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
    `profiles`.`t_email` AS `t_email`,
    `profiles`.`t_loyalty_tier` AS `t_loyalty_tier`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_events_orders`.`n_purchase_1`, 0) AS `n_purchase_1`,
    COALESCE(`events_events_pageviews`.`n_page_view_2`, 0) AS `n_page_view_2`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  LEFT JOIN `events_events_orders`
    ON `events_events_orders`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_events_pageviews`
    ON `events_events_pageviews`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `aud_newsletter_winback` AS (
  SELECT
    `facts`.*,
    CASE
      WHEN `c_email_marketing_granted` = 1
      AND `c_email_marketing_refused` = 0
      AND NOT `t_email` IS NULL
      AND `t_loyalty_tier` IS NULL
      AND NOT `n_purchase_1` >= 1
      AND NOT (
        (
          NOT `t_email` IS NULL
          AND CHAR_LENGTH(LOWER(`t_email`)) >= 17
          AND CAST(SUBSTRING(LOWER(`t_email`), CHAR_LENGTH(LOWER(`t_email`)) - 16, 17) AS BINARY) = '@example-corp.com'
        )
        OR (
          NOT `t_email` IS NULL AND LOCATE('+test', CAST(LOWER(`t_email`) AS BINARY)) > 0
        )
        OR (
          NOT `t_is_employee` IS NULL AND `t_is_employee` <> FALSE
        )
        OR `n_page_view_2` >= 1
      )
      AND `c_email_marketing_granted` = 1
      AND `c_email_marketing_refused` = 0
      THEN 1
      ELSE 0
    END AS `in_newsletter_winback`
  FROM `facts`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `aud_newsletter_winback`
  WHERE
    `in_newsletter_winback` = 1
    AND NOT (
      NOT `member_text` IS NULL
      AND (
        (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 1, 1),
            '0123456789abcdef'
          ) - 1
        ) * 5456 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 2, 1),
            '0123456789abcdef'
          ) - 1
        ) * 7216 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 3, 1),
            '0123456789abcdef'
          ) - 1
        ) * 8576 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 4, 1),
            '0123456789abcdef'
          ) - 1
        ) * 5536 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 5, 1),
            '0123456789abcdef'
          ) - 1
        ) * 4096 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 6, 1),
            '0123456789abcdef'
          ) - 1
        ) * 256 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 7, 1),
            '0123456789abcdef'
          ) - 1
        ) * 16 + (
          LOCATE(
            SUBSTRING(MD5(CONCAT('winback_2026_q4:', CAST(`member_text` AS CHAR))), 8, 1),
            '0123456789abcdef'
          ) - 1
        ) * 1
      ) % 10000 < 1000
    )
    AND `c_email_marketing_granted` = 1
    AND `c_email_marketing_refused` = 0
  GROUP BY
    `aud_newsletter_winback`.`member_id`
)
SELECT
  `member_id`
FROM `members`
