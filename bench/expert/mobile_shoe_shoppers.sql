-- mobile_shoe_shoppers, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- One pass over cart and session events answers all three conditions.
WITH w AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis IN ('warenkorb', 'sitzung')
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE ereignis = 'warenkorb' AND kategorie = 'shoes' AND preis <= 200
                          AND zeitpunkt >= TIMESTAMP '2026-09-02 00:00:00') >= 1
     AND count(*) FILTER (WHERE ereignis = 'sitzung' AND geraet = 'mobile'
                          AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00') >= 2
     AND min(zeitpunkt) FILTER (WHERE ereignis = 'sitzung') < TIMESTAMP '2026-01-01 00:00:00'
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM w)
