-- consent_retargeting, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Both consents from one pass over the consent table; both web conditions from
-- one pass over the last 14 days of web events.
WITH consent AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck IN ('werbung', 'newsletter')
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(CASE WHEN zweck = 'werbung' AND geaendert_am >= TIMESTAMP '2025-11-01 00:00:00'
                  THEN epoch_us(geaendert_am) * 2 + CASE WHEN status = 'erteilt' THEN 0 ELSE 1 END
             END) % 2 = 0
     AND max(CASE WHEN zweck = 'newsletter'
                  THEN epoch_us(geaendert_am) * 4
                       + CASE WHEN status <> 'erteilt' THEN 2
                              WHEN bestaetigt_am <= TIMESTAMP '2026-11-01 00:00:00' THEN 1
                              ELSE 0 END
             END) % 4 = 1
),
web AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis IN ('seitenaufruf', 'warenkorb')
    AND zeitpunkt >= TIMESTAMP '2026-10-18 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE ereignis = 'seitenaufruf' AND starts_with(pfad, '/sale')) >= 2
     AND count(*) FILTER (WHERE ereignis = 'warenkorb') >= 1
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM web)
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am >= TIMESTAMP '2026-10-18 00:00:00'
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
  AND p.kunden_id IN (SELECT kunden_id FROM consent)
