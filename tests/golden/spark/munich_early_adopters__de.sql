-- audience munich_early_adopters | market de | dialect spark | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    `src`.`ort` AS `t_city`,
    `src`.`angemeldet_am` AS `t_signup_date`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND SUBSTRING(LOWER(`src`.`ort`), 1, 3) = 'mün'
    AND `src`.`angemeldet_am` < CAST('2025-01-01' AS DATE)
), `events_web_ereignisse` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`
  FROM `web`.`ereignisse` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`zeitpunkt` IS NULL
    AND `src`.`zeitpunkt` <= '2026-11-01 00:00:00.000000+00:00'
    AND (
      `src`.`ereignis` = 'sitzung' OR `src`.`ereignis` = 'warenkorb'
    )
  GROUP BY
    `src`.`kunden_id`
  HAVING
    NOT MIN(CASE WHEN `src`.`ereignis` = 'sitzung' THEN `src`.`zeitpunkt` END) IS NULL
    AND MIN(CASE WHEN `src`.`ereignis` = 'sitzung' THEN `src`.`zeitpunkt` END) < '2026-01-01 00:00:00.000000+00:00'
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'sitzung'
          AND `src`.`zeitpunkt` >= '2026-09-01 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'warenkorb'
          AND `src`.`kategorie` = 'shoes'
          AND `src`.`preis` <= 200
          AND `src`.`zeitpunkt` >= '2026-09-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 1
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`,
    COUNT(*) AS `n_purchase_4`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`bestellt_am` >= '2026-10-31 12:00:00.000000+00:00'
  GROUP BY
    `src`.`kunde`
), `consent` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'newsletter'
          AND `src`.`status` = 'erteilt'
          AND NOT `src`.`bestaetigt_am` IS NULL
          AND `src`.`bestaetigt_am` <= '2026-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(CASE WHEN `src`.`zweck` = 'newsletter' THEN `src`.`geaendert_am` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'newsletter' AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(CASE WHEN `src`.`zweck` = 'newsletter' THEN `src`.`geaendert_am` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `legal`.`einwilligungen` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= '2026-11-01 00:00:00.000000+00:00'
    AND (
      (
        `src`.`zweck` = 'werbung'
        AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
      )
      OR `src`.`zweck` = 'newsletter'
    )
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`t_city` AS `t_city`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_4`, 0) AS `n_purchase_4`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_web_ereignisse`
    ON `events_web_ereignisse`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  WHERE
    NOT (
      (
        NOT `t_signup_date` IS NULL AND `t_signup_date` >= CAST('2026-10-02' AS DATE)
      )
      OR `n_purchase_4` >= 1
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
    AND `c_email_marketing_granted` = 1
    AND `c_email_marketing_refused` = 0
)
SELECT
  `member_id`
FROM `members`
