-- mobile_only, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- One pass over 30 days of sessions: 3+ mobile and no desktop session; ads consent.
WITH s AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis = 'sitzung'
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE geraet = 'mobile') >= 3
     AND count(*) FILTER (WHERE geraet = 'desktop') = 0
),
ads AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck = 'werbung'
    AND geaendert_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(epoch_us(geaendert_am) * 2 + CASE WHEN status = 'erteilt' THEN 0 ELSE 1 END) % 2 = 0
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM s)
  AND p.kunden_id IN (SELECT kunden_id FROM ads)
