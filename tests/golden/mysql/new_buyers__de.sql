-- audience new_buyers | market de | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
  HAVING
    NOT MIN(`src`.`bestellt_am`) IS NULL
    AND MIN(`src`.`bestellt_am`) >= CAST('2026-10-02 00:00:00.000000' AS DATETIME(6))
), `consent` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'newsletter'
          AND CAST(`src`.`status` AS BINARY) = 'erteilt'
          AND NOT `src`.`bestaetigt_am` IS NULL
          AND `src`.`bestaetigt_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
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
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`zweck` AS BINARY) IN ('newsletter')
    AND CAST(`src`.`status` AS BINARY) IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    CAST(`src`.`kunden_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `facts`
  WHERE
    `c_email_marketing_granted` = 1 AND `c_email_marketing_refused` = 0
)
SELECT
  `member_id`
FROM `members`
