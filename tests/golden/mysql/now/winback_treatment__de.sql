-- audience winback_treatment | market de | dialect mysql | as_of warehouse current time (UTC) | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    `now`.`as_of` - INTERVAL 1800 SECOND AS `as_of_minus_1800s`
  FROM (
    SELECT
      UTC_TIMESTAMP(6) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`,
    `src`.`email` AS `t_email`,
    `src`.`treuestufe` AS `t_loyalty_tier`,
    `src`.`ist_mitarbeiter` AS `t_is_employee`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_1`
  FROM `shop`.`bestellungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= `params`.`as_of`
    AND `src`.`bestellt_am` >= CAST('2026-06-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
), `events_web_ereignisse` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_page_view_2`
  FROM `web`.`ereignisse` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`zeitpunkt` IS NULL
    AND `src`.`zeitpunkt` <= `params`.`as_of`
    AND CAST(`src`.`ereignis` AS BINARY) = 'seitenaufruf'
    AND `src`.`zeitpunkt` >= `params`.`as_of_minus_1800s`
  GROUP BY
    CAST(`src`.`kunden_id` AS BINARY)
), `consent` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'newsletter'
          AND CAST(`src`.`status` AS BINARY) = 'erteilt'
          AND NOT `src`.`bestaetigt_am` IS NULL
          AND `src`.`bestaetigt_am` <= `params`.`as_of`
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'newsletter'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'newsletter'
          AND CAST(`src`.`status` AS BINARY) IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'newsletter'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `legal`.`einwilligungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= `params`.`as_of`
    AND CAST(`src`.`zweck` AS BINARY) IN ('newsletter')
    AND CAST(`src`.`status` AS BINARY) IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    CAST(`src`.`kunden_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_email` AS `t_email`,
    `profiles`.`t_loyalty_tier` AS `t_loyalty_tier`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_1`, 0) AS `n_purchase_1`,
    COALESCE(`events_web_ereignisse`.`n_page_view_2`, 0) AS `n_page_view_2`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_1800s` AS `as_of_minus_1800s`
  FROM `profiles`
  LEFT JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_web_ereignisse`
    ON `events_web_ereignisse`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
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
    `member_text` AS `member_id`
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
)
SELECT
  `member_id`
FROM `members`
