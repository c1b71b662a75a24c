-- lapsed_high_value, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- One pass over the last year of orders answers both purchase conditions.
WITH ads AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck = 'werbung'
    AND geaendert_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(epoch_us(geaendert_am) * 2 + CASE WHEN status = 'erteilt' THEN 0 ELSE 1 END) % 2 = 0
),
buyers AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING count(*) >= 3
     AND max(bestellt_am) < TIMESTAMP '2026-08-03 00:00:00'
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.clv >= 500
  AND p.ist_mitarbeiter IS NOT TRUE
  AND NOT coalesce(p.letzter_login >= TIMESTAMP '2026-10-18 00:00:00'
                   AND p.letzter_login <= TIMESTAMP '2026-11-01 00:00:00', FALSE)
  AND p.kunden_id IN (SELECT kunde FROM buyers)
  AND p.kunden_id IN (SELECT kunden_id FROM ads)
