-- lapsed_buyers, hand-written for DuckDB (as_of 2026-11-01T00:00:00Z).
SELECT kunden_id AS member_id FROM crm.kunden
WHERE kunden_id IN (
  SELECT kunde FROM shop.bestellungen
  WHERE kunde IS NOT NULL AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING max(bestellt_am) < TIMESTAMP '2026-08-03 00:00:00')
