-- browse_heavy_low_buy, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- One pass over 30 days of page views and cart adds, both consents from one pass,
-- "at most two orders a year" as the absence of three or more.
WITH web AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis IN ('seitenaufruf', 'warenkorb')
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE ereignis = 'seitenaufruf') >= 4
     AND count(*) FILTER (WHERE ereignis = 'warenkorb') >= 1
),
consent AS (
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
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM web)
  AND p.kunden_id IN (SELECT kunden_id FROM consent)
  AND p.kunden_id NOT IN (
    SELECT kunde FROM shop.bestellungen
    WHERE kunde IS NOT NULL
      AND bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'
      AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
    GROUP BY kunde
    HAVING count(*) > 2)
