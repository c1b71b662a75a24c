-- audience munich_early_adopters | market de | dialect tsql | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH [params] AS (
  SELECT
    [now].[as_of] AS [as_of],
    DATEADD(SECOND, -43200, [now].[as_of]) AS [as_of_minus_43200s],
    DATEADD(SECOND, -5184000, [now].[as_of]) AS [as_of_minus_5184000s],
    DATEADD(SECOND, -31536000, [now].[as_of]) AS [as_of_minus_31536000s]
  FROM (
    SELECT
      SYSUTCDATETIME() AS [as_of]
  ) AS [now]
), [profiles] AS (
  SELECT
    [src].[kunden_id] AS [member_id],
    [src].[ort] AS [t_city],
    [src].[angemeldet_am] AS [t_signup_date]
  FROM [crm].[kunden] AS [src]
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND SUBSTRING(LOWER([src].[ort]), 1, 3) COLLATE Latin1_General_100_BIN2 = N'mün'
    AND [src].[angemeldet_am] < CAST('2025-01-01' AS DATE)
), [events_web_ereignisse] AS (
  SELECT
    [src].[kunden_id] AS [member_id]
  FROM [web].[ereignisse] AS [src]
  CROSS JOIN [params]
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND NOT [src].[zeitpunkt] IS NULL
    AND [src].[zeitpunkt] <= [params].[as_of]
    AND (
      [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'sitzung'
      OR [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'warenkorb'
    )
  GROUP BY
    [src].[kunden_id]
  HAVING
    NOT MIN(
      CASE
        WHEN [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'sitzung'
        THEN [src].[zeitpunkt]
      END
    ) IS NULL
    AND MIN(
      CASE
        WHEN [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'sitzung'
        THEN [src].[zeitpunkt]
      END
    ) < CAST('2026-01-01 00:00:00.000000' AS DATETIME2(7))
    AND COALESCE(
      COUNT(
        CASE
          WHEN [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'sitzung'
          AND [src].[zeitpunkt] >= CAST('2026-09-01 00:00:00.000000' AS DATETIME2(7))
          THEN 1
        END
      ),
      0
    ) >= 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'warenkorb'
          AND [src].[kategorie] COLLATE Latin1_General_100_BIN2 = 'shoes'
          AND [src].[preis] <= 200
          AND [src].[zeitpunkt] >= [params].[as_of_minus_5184000s]
          THEN 1
        END
      ),
      0
    ) >= 1
), [events_shop_bestellungen] AS (
  SELECT
    [src].[kunde] AS [member_id],
    COUNT(*) AS [n_purchase_4]
  FROM [shop].[bestellungen] AS [src]
  CROSS JOIN [params]
  WHERE
    NOT [src].[kunde] IS NULL
    AND NOT [src].[bestellt_am] IS NULL
    AND [src].[bestellt_am] <= [params].[as_of]
    AND [src].[bestellt_am] >= [params].[as_of_minus_43200s]
  GROUP BY
    [src].[kunde]
), [consent] AS (
  SELECT
    [src].[kunden_id] AS [member_id],
    CASE
      WHEN MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= [params].[as_of_minus_31536000s]
          AND [src].[status] COLLATE Latin1_General_100_BIN2 = 'erteilt'
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= [params].[as_of_minus_31536000s]
          THEN [src].[geaendert_am]
        END
      )
      THEN 1
      ELSE 0
    END AS [c_ads_personalization_granted],
    CASE
      WHEN MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= [params].[as_of_minus_31536000s]
          AND [src].[status] COLLATE Latin1_General_100_BIN2 IN ('abgelehnt', 'widerrufen')
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= [params].[as_of_minus_31536000s]
          THEN [src].[geaendert_am]
        END
      )
      THEN 1
      ELSE 0
    END AS [c_ads_personalization_refused],
    CASE
      WHEN MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
          AND [src].[status] COLLATE Latin1_General_100_BIN2 = 'erteilt'
          AND NOT [src].[bestaetigt_am] IS NULL
          AND [src].[bestaetigt_am] <= [params].[as_of]
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
          THEN [src].[geaendert_am]
        END
      )
      THEN 1
      ELSE 0
    END AS [c_email_marketing_granted],
    CASE
      WHEN MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
          AND [src].[status] COLLATE Latin1_General_100_BIN2 IN ('abgelehnt', 'widerrufen')
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
          THEN [src].[geaendert_am]
        END
      )
      THEN 1
      ELSE 0
    END AS [c_email_marketing_refused]
  FROM [legal].[einwilligungen] AS [src]
  CROSS JOIN [params]
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND NOT [src].[geaendert_am] IS NULL
    AND [src].[geaendert_am] <= [params].[as_of]
    AND (
      (
        [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
        AND [src].[geaendert_am] >= [params].[as_of_minus_31536000s]
      )
      OR [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
    )
    AND [src].[status] COLLATE Latin1_General_100_BIN2 IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    [src].[kunden_id]
), [facts] AS (
  SELECT
    [profiles].[member_id] AS [member_id],
    [profiles].[t_city] AS [t_city],
    [profiles].[t_signup_date] AS [t_signup_date],
    COALESCE([events_shop_bestellungen].[n_purchase_4], 0) AS [n_purchase_4],
    COALESCE([consent].[c_ads_personalization_granted], 0) AS [c_ads_personalization_granted],
    COALESCE([consent].[c_ads_personalization_refused], 0) AS [c_ads_personalization_refused],
    COALESCE([consent].[c_email_marketing_granted], 0) AS [c_email_marketing_granted],
    COALESCE([consent].[c_email_marketing_refused], 0) AS [c_email_marketing_refused],
    [params].[as_of] AS [as_of],
    [params].[as_of_minus_43200s] AS [as_of_minus_43200s],
    [params].[as_of_minus_5184000s] AS [as_of_minus_5184000s],
    [params].[as_of_minus_31536000s] AS [as_of_minus_31536000s]
  FROM [profiles]
  INNER JOIN [events_web_ereignisse]
    ON [events_web_ereignisse].[member_id] = [profiles].[member_id]
  LEFT JOIN [events_shop_bestellungen]
    ON [events_shop_bestellungen].[member_id] = [profiles].[member_id]
  INNER JOIN [consent]
    ON [consent].[member_id] = [profiles].[member_id]
  CROSS JOIN [params]
), [members] AS (
  SELECT
    [member_id] AS [member_id]
  FROM [facts]
  WHERE
    NOT (
      (
        NOT [t_signup_date] IS NULL AND [t_signup_date] >= CAST('2026-10-02' AS DATE)
      )
      OR [n_purchase_4] >= 1
    )
    AND [c_ads_personalization_granted] = 1
    AND [c_ads_personalization_refused] = 0
    AND [c_email_marketing_granted] = 1
    AND [c_email_marketing_refused] = 0
)
SELECT
  [member_id]
FROM [members]
