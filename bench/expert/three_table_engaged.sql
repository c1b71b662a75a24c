-- three_table_engaged, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Sessions grouped over 30 days, an order in 180 days as a semi-join, the
-- double opt-in e-mail consent's latest state.
WITH s AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis = 'sitzung'
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) >= 3
),
mail AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck = 'newsletter'
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(epoch_us(geaendert_am) * 4
             + CASE WHEN status <> 'erteilt' THEN 2
                    WHEN bestaetigt_am <= TIMESTAMP '2026-11-01 00:00:00' THEN 1
                    ELSE 0 END) % 4 = 1
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM s)
  AND p.kunden_id IN (
    SELECT kunde FROM shop.bestellungen
    WHERE bestellt_am >= TIMESTAMP '2026-05-05 00:00:00'
      AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
  AND p.kunden_id IN (SELECT kunden_id FROM mail)
