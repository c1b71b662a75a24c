-- audience a | market m | dialect tsql | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH [params] AS (
  SELECT
    [now].[as_of] AS [as_of],
    CAST(CAST(DATEADD(
      MONTH,
      -1,
      DATEFROMPARTS(
        YEAR(
          CAST([now].[as_of] AT TIME ZONE 'UTC' AT TIME ZONE 'W. Europe Standard Time' AS DATE)
        ),
        MONTH(
          CAST([now].[as_of] AT TIME ZONE 'UTC' AT TIME ZONE 'W. Europe Standard Time' AS DATE)
        ),
        1
      )
    ) AS DATETIME2(7)) AT TIME ZONE 'W. Europe Standard Time' AT TIME ZONE 'UTC' AS DATETIME2(7)) AS [cal_month_1]
  FROM (
    SELECT
      SYSUTCDATETIME() AS [as_of]
  ) AS [now]
), [profiles] AS (
  SELECT
    [src].[id] AS [member_id],
    [src].[signup] AS [t_signup]
  FROM [people] AS [src]
  WHERE
    NOT [src].[id] IS NULL
), [facts] AS (
  SELECT
    [profiles].[member_id] AS [member_id],
    [profiles].[t_signup] AS [t_signup],
    [params].[as_of] AS [as_of],
    [params].[cal_month_1] AS [cal_month_1]
  FROM [profiles]
  CROSS JOIN [params]
), [members] AS (
  SELECT
    [member_id] AS [member_id]
  FROM [facts]
  WHERE
    CAST(CAST([t_signup] AS DATETIME2(7)) AT TIME ZONE 'W. Europe Standard Time' AT TIME ZONE 'UTC' AS DATETIME2(7)) >= [cal_month_1]
    AND CAST(CAST([t_signup] AS DATETIME2(7)) AT TIME ZONE 'W. Europe Standard Time' AT TIME ZONE 'UTC' AS DATETIME2(7)) <= [as_of]
  GROUP BY
    [member_id]
)
SELECT
  [member_id]
FROM [members]
