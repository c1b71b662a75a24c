-- gold_low_spend, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- The tier first; "spent under 100" holds without orders, so it is the absence
-- of a 180-day spend of 100 or more.
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.treuestufe IN ('gold', 'platinum')
  AND p.kunden_id IN (
    SELECT kunden_id FROM web.ereignisse
    WHERE ereignis = 'sitzung'
      AND zeitpunkt >= TIMESTAMP '2026-10-25 00:00:00'
      AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00')
  AND p.kunden_id NOT IN (
    SELECT kunde FROM shop.bestellungen
    WHERE kunde IS NOT NULL
      AND bestellt_am >= TIMESTAMP '2026-05-05 00:00:00'
      AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
    GROUP BY kunde
    HAVING sum(umsatz) >= 100)
