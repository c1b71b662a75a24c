-- big_spenders, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- All four aggregates from one pass over the orders; the average is compared
-- exactly as sum > 40 * count.
WITH o AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING (coalesce(sum(umsatz) FILTER (WHERE bestellt_am >= TIMESTAMP '2026-08-03 00:00:00'), 0) >= 300
          OR max(umsatz) > 800)
     AND sum(umsatz) FILTER (WHERE kanal = 'web') > 40 * count(umsatz) FILTER (WHERE kanal = 'web')
     AND count(*) BETWEEN 2 AND 50
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.ist_mitarbeiter IS NOT TRUE
  AND p.kunden_id IN (SELECT kunde FROM o)
