-- audience cart_abandoners | market de | dialect tsql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH [profiles] AS (
  SELECT
    [src].[kunden_id] AS [member_id],
    [src].[land] AS [t_country]
  FROM [crm].[kunden] AS [src]
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND [src].[land] COLLATE Latin1_General_100_BIN2 IN ('DE', 'AT', 'CH')
), [events_web_ereignisse] AS (
  SELECT
    [src].[kunden_id] AS [member_id]
  FROM [web].[ereignisse] AS [src]
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND NOT [src].[zeitpunkt] IS NULL
    AND [src].[zeitpunkt] <= CAST('2026-11-01 00:00:00.000000' AS DATETIME2(7))
    AND [src].[ereignis] COLLATE Latin1_General_100_BIN2 = 'warenkorb'
    AND [src].[zeitpunkt] >= CAST('2026-10-25 00:00:00.000000' AS DATETIME2(7))
  GROUP BY
    [src].[kunden_id]
), [events_shop_bestellungen] AS (
  SELECT
    [src].[kunde] AS [member_id],
    COUNT(
      CASE
        WHEN [src].[bestellt_am] >= CAST('2026-10-25 00:00:00.000000' AS DATETIME2(7))
        THEN 1
      END
    ) AS [n_purchase_2],
    COUNT(*) AS [n_purchase_3]
  FROM [shop].[bestellungen] AS [src]
  WHERE
    NOT [src].[kunde] IS NULL
    AND NOT [src].[bestellt_am] IS NULL
    AND [src].[bestellt_am] <= CAST('2026-11-01 00:00:00.000000' AS DATETIME2(7))
  GROUP BY
    [src].[kunde]
), [consent] AS (
  SELECT
    [src].[kunden_id] AS [member_id],
    CASE
      WHEN MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= CAST('2025-11-01 00:00:00.000000' AS DATETIME2(7))
          AND [src].[status] COLLATE Latin1_General_100_BIN2 = 'erteilt'
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= CAST('2025-11-01 00:00:00.000000' AS DATETIME2(7))
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
          AND [src].[geaendert_am] >= CAST('2025-11-01 00:00:00.000000' AS DATETIME2(7))
          AND [src].[status] COLLATE Latin1_General_100_BIN2 IN ('abgelehnt', 'widerrufen')
          THEN [src].[geaendert_am]
        END
      ) = MAX(
        CASE
          WHEN [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
          AND [src].[geaendert_am] >= CAST('2025-11-01 00:00:00.000000' AS DATETIME2(7))
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
          AND [src].[bestaetigt_am] <= CAST('2026-11-01 00:00:00.000000' AS DATETIME2(7))
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
  WHERE
    NOT [src].[kunden_id] IS NULL
    AND NOT [src].[geaendert_am] IS NULL
    AND [src].[geaendert_am] <= CAST('2026-11-01 00:00:00.000000' AS DATETIME2(7))
    AND (
      (
        [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'werbung'
        AND [src].[geaendert_am] >= CAST('2025-11-01 00:00:00.000000' AS DATETIME2(7))
      )
      OR [src].[zweck] COLLATE Latin1_General_100_BIN2 = 'newsletter'
    )
    AND [src].[status] COLLATE Latin1_General_100_BIN2 IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    [src].[kunden_id]
), [facts] AS (
  SELECT
    [profiles].[member_id] AS [member_id],
    [profiles].[t_country] AS [t_country],
    COALESCE([events_shop_bestellungen].[n_purchase_2], 0) AS [n_purchase_2],
    COALESCE([events_shop_bestellungen].[n_purchase_3], 0) AS [n_purchase_3],
    COALESCE([consent].[c_ads_personalization_granted], 0) AS [c_ads_personalization_granted],
    COALESCE([consent].[c_ads_personalization_refused], 0) AS [c_ads_personalization_refused],
    COALESCE([consent].[c_email_marketing_granted], 0) AS [c_email_marketing_granted],
    COALESCE([consent].[c_email_marketing_refused], 0) AS [c_email_marketing_refused]
  FROM [profiles]
  INNER JOIN [events_web_ereignisse]
    ON [events_web_ereignisse].[member_id] = [profiles].[member_id]
  LEFT JOIN [events_shop_bestellungen]
    ON [events_shop_bestellungen].[member_id] = [profiles].[member_id]
  INNER JOIN [consent]
    ON [consent].[member_id] = [profiles].[member_id]
), [aud_existing_customers] AS (
  SELECT
    [facts].*,
    CASE WHEN [n_purchase_3] >= 1 THEN 1 ELSE 0 END AS [in_existing_customers]
  FROM [facts]
), [members] AS (
  SELECT
    [member_id] AS [member_id]
  FROM [aud_existing_customers]
  WHERE
    NOT (
      [n_purchase_2] >= 1 OR [in_existing_customers] = 1
    )
    AND [c_ads_personalization_granted] = 1
    AND [c_ads_personalization_refused] = 0
    AND [c_email_marketing_granted] = 1
    AND [c_email_marketing_refused] = 0
)
SELECT
  [member_id]
FROM [members]
